// The extension icon and the task icons, drawn as vector shapes and rasterised with 4x4 supersampling
// (anti-aliased edges). scripts/draw-icons.mjs writes them; the PNG files are committed.

const SAMPLES = 4;

/** Signed-distance shapes (negative inside). */
const shape = {
  roundedRect: (x0, y0, x1, y1, r) => (x, y) => {
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    const qx = Math.abs(x - cx) - ((x1 - x0) / 2 - r), qy = Math.abs(y - cy) - ((y1 - y0) / 2 - r);
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
  },
  circle: (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r,
  /** Thick line with round caps. */
  segment: (ax, ay, bx, by, width) => (x, y) => {
    const dx = bx - ax, dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    return Math.hypot(x - (ax + t * dx), y - (ay + t * dy)) - width / 2;
  },
  polygon: (points) => (x, y) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i], [xj, yj] = points[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside ? -1 : 1;
  },
  union: (...parts) => (x, y) => Math.min(...parts.map((p) => p(x, y))),
  subtract: (a, b) => (x, y) => Math.max(a(x, y), -b(x, y)),
};

function hex(color, alpha = 1) {
  const n = parseInt(color.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, alpha];
}

/**
 * @param {number} size
 * @param {{ sdf: (x:number,y:number)=>number, paint: (x:number,y:number)=>number[] }[]} layers back to front, in a
 *   100x100 design space scaled to `size`
 * @returns {Uint8Array} RGBA
 */
function rasterise(size, layers) {
  const rgba = new Uint8Array(size * size * 4);
  const scale = 100 / size;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES) * scale;
          const y = (py + (sy + 0.5) / SAMPLES) * scale;
          // Composite the layers at this sample ("over"), premultiplied.
          let cr = 0, cg = 0, cb = 0, ca = 0;
          for (const layer of layers) {
            if (layer.sdf(x, y) > 0) continue;
            const [lr, lg, lb, la] = layer.paint(x, y);
            cr = lr * la + cr * (1 - la);
            cg = lg * la + cg * (1 - la);
            cb = lb * la + cb * (1 - la);
            ca = la + ca * (1 - la);
          }
          r += cr; g += cg; b += cb; a += ca;
        }
      }
      const n = SAMPLES * SAMPLES;
      const i = (py * size + px) * 4;
      const alpha = a / n;
      rgba[i] = alpha > 0 ? Math.round(r / n / alpha) : 0;
      rgba[i + 1] = alpha > 0 ? Math.round(g / n / alpha) : 0;
      rgba[i + 2] = alpha > 0 ? Math.round(b / n / alpha) : 0;
      rgba[i + 3] = Math.round(alpha * 255);
    }
  }
  return rgba;
}

const WHITE = () => hex('#ffffff');
const solid = (color, alpha) => () => hex(color, alpha);
/** Azure blue, lighter at the top. */
const azureGradient = (x, y) => {
  const t = Math.min(1, Math.max(0, y / 100));
  const top = hex('#2b9af3'), bottom = hex('#0a5bc4');
  return [0, 1, 2].map((k) => top[k] + (bottom[k] - top[k]) * t).concat(1);
};

function background(radius) {
  return { sdf: shape.roundedRect(2, 2, 98, 98, radius), paint: azureGradient };
}

/** A rising line of metrics through pipeline nodes: the extension icon and the Train task. */
function risingPipeline(points, lineWidth, nodeRadius, accent) {
  const layers = [];
  for (let i = 1; i < points.length; i++) {
    layers.push({ sdf: shape.segment(...points[i - 1], ...points[i], lineWidth), paint: WHITE });
  }
  points.forEach(([x, y], i) => {
    const last = i === points.length - 1;
    layers.push({ sdf: shape.circle(x, y, nodeRadius), paint: last ? solid(accent) : WHITE });
    if (!last) layers.push({ sdf: shape.circle(x, y, nodeRadius * 0.45), paint: azureGradient });
  });
  return layers;
}

export function extensionIcon(size = 128) {
  return rasterise(size, [
    background(18),
    // a faint baseline grid, so the chart reads as a chart
    { sdf: shape.segment(18, 80, 82, 80, 1.6), paint: solid('#ffffff', 0.35) },
    { sdf: shape.segment(18, 60, 82, 60, 1.6), paint: solid('#ffffff', 0.2) },
    { sdf: shape.segment(18, 40, 82, 40, 1.6), paint: solid('#ffffff', 0.2) },
    ...risingPipeline([[22, 72], [42, 52], [60, 62], [80, 28]], 6, 7.5, '#50e6ff'),
  ]);
}

const ACCENT = { qa: '#ffb900', prod: '#6bb700', neutral: '#50e6ff' };

/** Deploy: an arrow leaving a platform, with a coloured dot telling QA (amber) from production (green). */
function deployGlyph(accent) {
  return [
    { sdf: shape.segment(50, 70, 50, 30, 12), paint: WHITE },
    { sdf: shape.polygon([[26, 42], [50, 16], [74, 42]]), paint: WHITE },
    { sdf: shape.segment(22, 82, 78, 82, 9), paint: WHITE },
    { sdf: shape.circle(78, 26, 13), paint: solid(accent) },
  ];
}

/** @type {Record<string, () => { sdf: Function, paint: Function }[]>} */
const TASK_GLYPHS = {
  AzureMLTrain: () => risingPipeline([[22, 74], [50, 46], [78, 24]], 10, 11, ACCENT.neutral),
  AzureMLEvaluate: () => [
    { sdf: shape.roundedRect(18, 52, 34, 82, 3), paint: WHITE },
    { sdf: shape.roundedRect(42, 34, 58, 82, 3), paint: WHITE },
    { sdf: shape.roundedRect(66, 20, 82, 82, 3), paint: solid(ACCENT.neutral) },
  ],
  AzureMLRegisterModel: () => [
    // a package: box with a lid line and a label
    { sdf: shape.subtract(shape.roundedRect(18, 24, 82, 82, 6), shape.roundedRect(28, 44, 72, 72, 2)), paint: WHITE },
    { sdf: shape.roundedRect(18, 24, 82, 40, 6), paint: WHITE },
    { sdf: shape.roundedRect(40, 52, 60, 62, 2), paint: solid(ACCENT.neutral) },
  ],
  AzureMLBuildImage: () => [
    // container image layers
    { sdf: shape.roundedRect(18, 62, 82, 80, 4), paint: WHITE },
    { sdf: shape.roundedRect(24, 40, 76, 56, 4), paint: WHITE },
    { sdf: shape.roundedRect(30, 18, 70, 34, 4), paint: solid(ACCENT.neutral) },
  ],
  AzureMLDeployQA: () => deployGlyph(ACCENT.qa),
  AzureMLDeployProd: () => deployGlyph(ACCENT.prod),
};

export const TASK_ICON_NAMES = Object.keys(TASK_GLYPHS);

/** Task icons are 32x32, like those of the built-in tasks. */
export function taskIcon(taskName, size = 32) {
  const glyph = TASK_GLYPHS[taskName];
  if (!glyph) throw new Error(`no icon design for ${taskName}: add one to scripts/lib/icons.mjs`);
  return rasterise(size, [background(14), ...glyph()]);
}
