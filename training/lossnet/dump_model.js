// Reads one nsfwjs model (TensorFlow.js "layers" format wrapped as UMD modules) and writes
// <out>/model.json ({modelTopology, weightsManifest}) and <out>/weights.bin (the shards' bytes, in
// manifest order), which training/lossnet/keras.py reads.
//   node dump_model.js <nsfwjs package dir> <model name> <out dir>
'use strict';
const fs = require('fs');
const path = require('path');

const [pkg, name, out] = process.argv.slice(2);
if (!out) {
  console.error('usage: node dump_model.js <nsfwjs package dir> <model name> <out dir>');
  process.exit(2);
}
const dir = path.join(pkg, 'dist', 'models', name);
const model = require(path.resolve(dir, 'model.min.js'));
const shards = [];
for (const group of model.weightsManifest) {
  for (const p of group.paths) {
    const b64 = require(path.resolve(dir, p + '.min.js'));
    if (typeof b64 !== 'string') throw new Error(`${p}.min.js does not export a base64 string`);
    shards.push(Buffer.from(b64, 'base64'));
  }
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(model));
fs.writeFileSync(path.join(out, 'weights.bin'), Buffer.concat(shards));
console.log(`${name}: ${shards.length} shards, ${Buffer.concat(shards).length} bytes -> ${out}`);
