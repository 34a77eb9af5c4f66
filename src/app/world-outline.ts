// The world's land for the status page's maps: world-atlas' 110m land outline (Natural Earth), turned
// into one SVG path in the map's projection the first time it is asked for, then kept for the process.
import { feature } from 'topojson-client'
import type { GeometryCollection, Topology } from 'topojson-specification'
import land from 'world-atlas/land-110m.json' with { type: 'json' }
import { landPath, type Ring } from '../core/status/geo.ts'

let cachedPath: string | null = null

export function worldLandPath(): string {
  cachedPath ??= landPath(landRings())
  return cachedPath
}

function landRings(): Ring[] {
  const topology = land as unknown as Topology<{ land: GeometryCollection }>
  const collection = feature(topology, topology.objects.land)
  return collection.features.flatMap(({ geometry }) => {
    if (geometry.type === 'Polygon') return geometry.coordinates
    if (geometry.type === 'MultiPolygon') return geometry.coordinates.flat()
    return []
  })
}
