import { describe, expect, it } from 'vitest'
import { WORLD_HEIGHT, WORLD_WIDTH, frameAround, landPath, project } from '../../../src/core/status/geo.ts'

describe('the equirectangular projection', () => {
  it('maps longitude and latitude linearly onto the world rectangle', () => {
    expect(project(0, 0).x).toBeCloseTo(WORLD_WIDTH / 2)
    expect(project(84, -180)).toEqual({ x: 0, y: 0 })
    expect(project(-58, 180).x).toBeCloseTo(WORLD_WIDTH)
    expect(project(-58, 180).y).toBeCloseTo(WORLD_HEIGHT)
  })
})

describe('landPath', () => {
  it('draws a ring as one closed subpath, rounded to 0.1 unit', () => {
    expect(landPath([[[0, 0], [10, 0], [10, 10], [0, 0]]])).toBe('M500 233.3L527.8 233.3L527.8 205.6L500 233.3Z')
  })

  it('draws a ring that crosses the antimeridian twice, once on each side, without a stripe across the map', () => {
    const fiji = [[179, -16], [-179, -16], [-179, -17], [179, -17], [179, -16]]
    const path = landPath([fiji])
    expect(path.match(/M/g)).toHaveLength(2)
    const xs = [...path.matchAll(/[ML]([\d.-]+) /g)].map((match) => Number(match[1]))
    const subpaths = path.split('Z').filter(Boolean).map((sub) => [...sub.matchAll(/[ML]([\d.-]+) /g)].map((m) => Number(m[1])))
    for (const sub of subpaths) expect(Math.max(...sub) - Math.min(...sub)).toBeLessThan(10)
    expect(Math.min(...xs)).toBeLessThan(5)
    expect(Math.max(...xs)).toBeGreaterThan(WORLD_WIDTH - 5)
  })

  it('leaves out rings entirely south of the map (Antarctica)', () => {
    expect(landPath([[[0, -70], [10, -70], [10, -80], [0, -70]]])).toBe('')
  })
})

describe('frameAround', () => {
  const options = { aspect: 2, minWidth: 100, margin: 0.1 }

  it('keeps the aspect and a minimum width around close points', () => {
    const frame = frameAround([project(50, 8), project(52, 5)], options)
    expect(frame.width).toBe(100)
    expect(frame.height).toBe(50)
  })

  it('contains every point with its margin and stays inside the world', () => {
    const points = [project(60, -120), project(-30, 150)]
    const frame = frameAround(points, options)
    for (const point of points) {
      expect(point.x).toBeGreaterThanOrEqual(frame.x)
      expect(point.x).toBeLessThanOrEqual(frame.x + frame.width)
      expect(point.y).toBeGreaterThanOrEqual(frame.y)
      expect(point.y).toBeLessThanOrEqual(frame.y + frame.height)
    }
    expect(frame.x).toBeGreaterThanOrEqual(0)
    expect(frame.y + frame.height).toBeLessThanOrEqual(WORLD_HEIGHT + 0.1)
  })

  it('shows the whole world when there is nothing to place', () => {
    const frame = frameAround([], { ...options, aspect: WORLD_WIDTH / WORLD_HEIGHT })
    expect(frame).toMatchObject({ x: 0, y: 0, width: WORLD_WIDTH })
  })
})
