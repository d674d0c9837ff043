// Precompresses the built site's assets (brotli quality 11, gzip level 9) so
// the server sends the smallest encoding without compressing on every request.
// Usage: node scripts/compress-site.mjs <site-root>/pkg
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/compress-site.mjs <site-root>/pkg');
  process.exit(2);
}
for (const name of readdirSync(dir)) {
  if (!/\.(wasm|js|css)$/.test(name)) continue;
  const path = join(dir, name);
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: statSync(path).size,
    },
  });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  console.log(`${name}: ${raw.length} B raw, ${br.length} B brotli`);
}
