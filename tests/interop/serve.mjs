// Long-lived form for the test suite: one JSON request per stdin line, {"op": "sign" | "verify" | "canonize" | …,
// ...arguments}; one JSON line back per request, {"result": ...} or {"error": message}, in order.
import {createInterface} from 'node:readline';
import {operations} from './harness.mjs';

for await (const line of createInterface({input: process.stdin, crlfDelay: Infinity})) {
  let reply;
  try {
    const {op, ...args} = JSON.parse(line);
    if(!(op in operations)) {
      throw new Error(`unknown op ${op}`);
    }
    reply = {result: await operations[op](args)};
  } catch(error) {
    reply = {error: error.message || String(error)};
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
