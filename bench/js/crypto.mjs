/*
 * The JavaScript side of bench/crypto.py: signs and verifies with the Digital Bazaar libraries through the interop
 * harness (tests/interop/harness.mjs), offline. stdin: {documents: [unsigned...], signed: [...], key, created,
 * controllers, mode, runs}; stdout: {sign: {wall: [...], cpu: [...]}, verify: {...}, signed: [first results]}.
 */
import {readStdin, sign, verify} from '../../tests/interop/harness.mjs';

const input = await readStdin();
const {documents, signed, key, created, controllers, mode, runs} = input;

function cpuSeconds() {
  const {user, system} = process.cpuUsage();
  return (user + system) / 1e6;
}

async function timed(operation) {
  await operation();  // warm-up
  const wall = [], cpu = [];
  for(let run = 0; run < runs; run++) {
    const start = performance.now(), startCpu = cpuSeconds();
    await operation();
    wall.push((performance.now() - start) / 1000);
    cpu.push(cpuSeconds() - startCpu);
  }
  return {wall, cpu};
}

const signOne = credential => sign({credential, ...key, created, documents: controllers, mode});
const results = {};
results.sign = await timed(async () => {
  for(const credential of documents) {
    await signOne(credential);
  }
});
results.verify = await timed(async () => {
  for(const credential of signed) {
    const outcome = await verify({credential, documents: controllers, mode: 'jsigs'});
    if(!outcome.verified) {
      throw new Error(`reference verifier refused a document: ${outcome.error}`);
    }
  }
});
results.signed = [await signOne(documents[0])];
process.stdout.write(JSON.stringify(results) + '\n');
