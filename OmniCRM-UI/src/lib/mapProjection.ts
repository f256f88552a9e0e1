/** Web Mercator (EPSG:3857) as slippy-map tile servers use it: world pixels at a zoom level and back. */
export const TILE = 256;

export interface LatLng { lat: number; lng: number }
export interface Point { x: number; y: number }

export function project({ lat, lng }: LatLng, zoom: number): Point {
  const size = TILE * 2 ** zoom;
  const clamped = Math.max(-85.05112878, Math.min(85.05112878, lat));
  const sin = Math.sin((clamped * Math.PI) / 180);
  return { x: ((lng + 180) / 360) * size, y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size };
}

export function unproject({ x, y }: Point, zoom: number): LatLng {
  const size = TILE * 2 ** zoom;
  const lng = (x / size) * 360 - 180;
  const n = Math.PI - (2 * Math.PI * y) / size;
  const lat = (180 / Math.PI) * Math.atan(0.5 * (Math.exp(n) - Math.exp(-n)));
  return { lat, lng };
}

/** Metres on the ground per screen pixel at a latitude and zoom. */
export function metresPerPixel(lat: number, zoom: number): number {
  return (40075016.686 * Math.cos((lat * Math.PI) / 180)) / (TILE * 2 ** zoom);
}

export function tileUrl(template: string, z: number, x: number, y: number): string {
  const n = 2 ** z;
  const wrapped = ((x % n) + n) % n;
  return template.replace("{s}", "abc"[(wrapped + y) % 3]).replace("{z}", String(z)).replace("{x}", String(wrapped)).replace("{y}", String(y));
}
