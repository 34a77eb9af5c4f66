// The map's geometry: a plain equirectangular projection (x from longitude, y from latitude, both
// linear), the world's land as one SVG path in that projection, and the frame that fits a set of points.
// The land path is computed once, in world coordinates; a map zooms by its viewBox, not by reprojecting.

/** Width of the whole world in map units; the height follows from the latitudes shown. */
export const WORLD_WIDTH = 1000
/** Latitudes shown: Antarctica and the high Arctic are left out (no vantage or site lives there). */
export const NORTH_LIMIT_DEG = 84
export const SOUTH_LIMIT_DEG = -58
const UNITS_PER_DEGREE = WORLD_WIDTH / 360
export const WORLD_HEIGHT = (NORTH_LIMIT_DEG - SOUTH_LIMIT_DEG) * UNITS_PER_DEGREE
/** Land is drawn to 0.1 map unit: about 0.04 degree, far below what a screen shows. */
const DECIMALS = 1

export interface Point {
  x: number
  y: number
}

export function project(latitude: number, longitude: number): Point {
  return { x: (longitude + 180) * UNITS_PER_DEGREE, y: (NORTH_LIMIT_DEG - latitude) * UNITS_PER_DEGREE }
}

/** [longitude, latitude] pairs, as GeoJSON gives them. */
export type Ring = readonly (readonly number[])[]

/**
 * One SVG path for all rings (GeoJSON polygons' rings, outer and holes: drawn with fill-rule evenodd).
 * A ring that crosses the antimeridian is unwrapped into continuous longitudes and drawn twice, once on
 * each side, so Russia and Fiji do not smear across the map. Rings entirely south of SOUTH_LIMIT_DEG are
 * left out.
 */
export function landPath(rings: readonly Ring[]): string {
  return rings
    .filter((ring) => ring.some(([, latitude]) => (latitude ?? -90) > SOUTH_LIMIT_DEG))
    .flatMap((ring) => {
      const unwrapped = unwrapLongitudes(ring)
      const longitudes = unwrapped.map(([longitude]) => longitude)
      const shifts = [0, ...(Math.max(...longitudes) > 180 ? [-360] : []), ...(Math.min(...longitudes) < -180 ? [360] : [])]
      return shifts.map((shift) => ringPath(unwrapped, shift))
    })
    .join('')
}

function unwrapLongitudes(ring: Ring): [number, number][] {
  const points: [number, number][] = []
  let offset = 0
  let previous: number | null = null
  for (const [longitude = 0, latitude = 0] of ring) {
    if (previous !== null && longitude + offset - previous > 180) offset -= 360
    if (previous !== null && longitude + offset - previous < -180) offset += 360
    previous = longitude + offset
    points.push([previous, latitude])
  }
  return points
}

function ringPath(points: readonly [number, number][], shiftDeg: number): string {
  const commands = points.map(([longitude, latitude], index) => {
    const { x, y } = project(latitude, longitude + shiftDeg)
    return `${index === 0 ? 'M' : 'L'}${round(x)} ${round(y)}`
  })
  return `${commands.join('')}Z`
}

export function round(value: number, decimals = DECIMALS): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}

export interface Frame {
  x: number
  y: number
  width: number
  height: number
}

export interface FrameOptions {
  /** Width over height of the frame. */
  aspect: number
  /** Smallest width, in map units: a few nearby points are shown with their surroundings. */
  minWidth: number
  /** Margin around the points, as a fraction of the frame's width. */
  margin: number
}

/** The smallest frame of the given aspect around the points (with margin), clamped to the world. */
export function frameAround(points: readonly Point[], options: FrameOptions): Frame {
  if (points.length === 0) return fitWorld(options.aspect)
  const xs = points.map((point) => point.x)
  const ys = points.map((point) => point.y)
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]
  const spanX = maxX - minX
  const spanY = maxY - minY
  let width = Math.max(options.minWidth, spanX * (1 + 2 * options.margin), spanY * (1 + 2 * options.margin) * options.aspect)
  width = Math.min(width, WORLD_WIDTH, WORLD_HEIGHT * options.aspect)
  const height = width / options.aspect
  const x = clamp((minX + maxX) / 2 - width / 2, 0, WORLD_WIDTH - width)
  const y = clamp((minY + maxY) / 2 - height / 2, 0, WORLD_HEIGHT - height)
  return { x: round(x), y: round(y), width: round(width), height: round(height) }
}

function fitWorld(aspect: number): Frame {
  const width = Math.min(WORLD_WIDTH, WORLD_HEIGHT * aspect)
  const height = width / aspect
  return { x: round((WORLD_WIDTH - width) / 2), y: round((WORLD_HEIGHT - height) / 2), width: round(width), height: round(height) }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), Math.max(min, max))
}
