// The parity reference: runs a dumped nsfwjs model with TensorFlow.js's pure-JS CPU backend and
// writes the requested layers' outputs for the given inputs.
//   node reference.js <model dir (model.json, weights.bin)> <request.json>
// request.json: {"inputs": [{"file": "x.bin", "shape": [1, H, W, 3]}], "layers": ["mixed0", ...],
//                "out": "<dir>"}; inputs are float32 NHWC, outputs <out>/<i>_<layer>.bin float32 NHWC
// with their shapes in <out>/outputs.json.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');

async function main() {
  const [modelDir, requestFile] = process.argv.slice(2);
  await tf.setBackend('cpu');
  const model = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json')));
  const bytes = fs.readFileSync(path.join(modelDir, 'weights.bin'));
  const weightSpecs = model.weightsManifest.flatMap((g) => g.weights);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const full = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: model.modelTopology, weightSpecs, weightData }));
  const request = JSON.parse(fs.readFileSync(requestFile));
  const outputs = request.layers.map((name) => full.getLayer(name).output);
  const probe = tfl.model({ inputs: full.inputs, outputs });
  const shapes = {};
  request.inputs.forEach((input, i) => {
    const raw = fs.readFileSync(input.file);
    const x = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4), input.shape);
    let ys = probe.predict(x);
    if (!Array.isArray(ys)) ys = [ys];
    ys.forEach((y, j) => {
      const file = `${i}_${request.layers[j]}.bin`;
      fs.writeFileSync(path.join(request.out, file), Buffer.from(y.dataSync().buffer));
      shapes[file] = y.shape;
    });
    tf.dispose([x, ...ys]);
  });
  fs.writeFileSync(path.join(request.out, 'outputs.json'), JSON.stringify(shapes));
}

main().catch((e) => { console.error(e); process.exit(1); });
