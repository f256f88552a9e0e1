import { ActionIcon, Box, Group, Text } from "@mantine/core";
import { IconMinus, IconPlus } from "@tabler/icons-react";
import { useRef, useState, type PointerEvent } from "react";
import { TILE, metresPerPixel, project, tileUrl, unproject, type LatLng } from "../lib/mapProjection";

export type Shape = "polygon" | "circle" | "rectangle";

interface Props {
  tileTemplate: string;
  attribution?: string;
  shape: Shape;
  points: LatLng[];
  radius?: number;
  onPick: (point: LatLng) => void;
  width?: number;
  height?: number;
}

function initialView(points: LatLng[]) {
  if (points.length === 0) return { center: { lat: 20, lng: 0 }, zoom: 2 };
  const lat = points.reduce((s, p) => s + p.lat, 0) / points.length;
  const lng = points.reduce((s, p) => s + p.lng, 0) / points.length;
  return { center: { lat, lng }, zoom: 12 };
}

/**
 * A dependency-free map for drawing a zone: raster tiles from the configured server (none offline: a plain grid),
 * drag to pan, +/- to zoom, click to add a point (polygon), set the centre (circle) or the corners (rectangle).
 */
export function CbcMap({ tileTemplate, attribution, shape, points, radius = 0, onPick, width = 640, height = 360 }: Props) {
  const [view, setView] = useState(() => initialView(points));
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const centre = project(view.center, view.zoom);
  const origin = { x: centre.x - width / 2, y: centre.y - height / 2 };
  const screen = (p: LatLng) => { const w = project(p, view.zoom); return { x: w.x - origin.x, y: w.y - origin.y }; };
  const tiles = [];
  if (tileTemplate) {
    const n = 2 ** view.zoom;
    for (let tx = Math.floor(origin.x / TILE); tx <= Math.floor((origin.x + width) / TILE); tx++) {
      for (let ty = Math.floor(origin.y / TILE); ty <= Math.floor((origin.y + height) / TILE); ty++) {
        if (ty < 0 || ty >= n) continue;
        tiles.push(<img key={`${tx}/${ty}`} alt="" draggable={false} src={tileUrl(tileTemplate, view.zoom, tx, ty)}
          style={{ position: "absolute", left: tx * TILE - origin.x, top: ty * TILE - origin.y, width: TILE, height: TILE }} />);
      }
    }
  }
  const local = (e: PointerEvent<HTMLDivElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };
  const onDown = (e: PointerEvent<HTMLDivElement>) => { drag.current = { ...local(e), moved: false }; };
  const onMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!drag.current || e.buttons === 0) return;
    const p = local(e);
    const dx = p.x - drag.current.x;
    const dy = p.y - drag.current.y;
    if (!drag.current.moved && Math.hypot(dx, dy) < 4) return;
    drag.current = { ...p, moved: true };
    setView((v) => {
      const c = project(v.center, v.zoom);
      return { ...v, center: unproject({ x: c.x - dx, y: c.y - dy }, v.zoom) };
    });
  };
  const onUp = (e: PointerEvent<HTMLDivElement>) => {
    const wasDrag = drag.current?.moved;
    drag.current = null;
    if (wasDrag) return;
    const p = local(e);
    onPick(unproject({ x: origin.x + p.x, y: origin.y + p.y }, view.zoom));
  };
  const zoom = (by: number) => setView((v) => ({ ...v, zoom: Math.max(1, Math.min(18, v.zoom + by)) }));
  const shown = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lng)).map(screen);
  let overlay = null;
  if (shape === "polygon" && shown.length) {
    overlay = <polygon points={shown.map((p) => `${p.x},${p.y}`).join(" ")} fill="rgba(220,38,38,0.25)" stroke="#dc2626" strokeWidth={2} />;
  } else if (shape === "circle" && shown.length) {
    const r = radius / metresPerPixel(points[0].lat, view.zoom);
    overlay = <circle cx={shown[0].x} cy={shown[0].y} r={Math.max(r, 3)} fill="rgba(220,38,38,0.25)" stroke="#dc2626" strokeWidth={2} />;
  } else if (shape === "rectangle" && shown.length === 2) {
    const [a, b] = shown;
    overlay = <rect x={Math.min(a.x, b.x)} y={Math.min(a.y, b.y)} width={Math.abs(a.x - b.x)} height={Math.abs(a.y - b.y)} fill="rgba(220,38,38,0.25)" stroke="#dc2626" strokeWidth={2} />;
  }
  return (
    <Box>
      <div data-testid="cbc-map" onPointerDown={onDown} onPointerMove={onMove} onPointerUp={onUp}
        style={{ position: "relative", width, height, overflow: "hidden", cursor: "crosshair", touchAction: "none", userSelect: "none",
          background: "repeating-linear-gradient(0deg, #eef2f5 0 39px, #d5dde3 39px 40px), repeating-linear-gradient(90deg, #eef2f5 0 39px, #d5dde3 39px 40px)",
          backgroundBlendMode: "multiply", border: "1px solid var(--mantine-color-gray-4)" }}>
        {tiles}
        <svg width={width} height={height} style={{ position: "absolute", left: 0, top: 0, pointerEvents: "none" }}>
          {overlay}
          {shown.map((p, i) => <circle key={i} cx={p.x} cy={p.y} r={4} fill="#dc2626" />)}
        </svg>
        <Group gap={4} style={{ position: "absolute", right: 8, top: 8 }} onPointerDown={(e) => e.stopPropagation()} onPointerUp={(e) => e.stopPropagation()}>
          <ActionIcon variant="default" aria-label="+" onClick={() => zoom(1)}><IconPlus size={14} /></ActionIcon>
          <ActionIcon variant="default" aria-label="-" onClick={() => zoom(-1)}><IconMinus size={14} /></ActionIcon>
        </Group>
      </div>
      <Text size="xs" c="dimmed">
        {view.center.lat.toFixed(4)}, {view.center.lng.toFixed(4)} · z{view.zoom}{attribution ? ` · ${attribution}` : ""}
      </Text>
    </Box>
  );
}
