/** The site of an identity that no site of the target claims. Reserved: no configured site may use it. */
export const UNKNOWN_SITE_ID = 'unknown'
