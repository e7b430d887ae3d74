// stdin: {credential, documents?, mode?}; stdout: {verified, error}
import {readStdin, verify} from './harness.mjs';

process.stdout.write(JSON.stringify(await verify(await readStdin())) + '\n');
