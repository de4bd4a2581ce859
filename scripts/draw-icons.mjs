// Draws images/extension-icon.png (128x128) and tasks/<Task>/icon.png (32x32). The PNGs are committed; run this
// again only after changing the designs in scripts/lib/icons.mjs: `node scripts/draw-icons.mjs`.
import fs from 'node:fs';
import path from 'node:path';
import { extensionIcon, taskIcon, TASK_ICON_NAMES } from './lib/icons.mjs';
import { encodePng } from './lib/png.mjs';
import { rel, repoRoot, tasksRoot } from './lib/paths.mjs';

function write(file, size, rgba) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodePng(size, size, rgba));
  console.log(`${rel(file)} (${size}x${size})`);
}

write(path.join(repoRoot, 'images', 'extension-icon.png'), 128, extensionIcon(128));
for (const name of TASK_ICON_NAMES) {
  write(path.join(tasksRoot, name, 'icon.png'), 32, taskIcon(name, 32));
}
