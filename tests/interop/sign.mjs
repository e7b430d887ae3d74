// stdin: {credential, secretKeyMultibase, publicKeyMultibase, verificationMethod, created?, documents?, mode?}
// stdout: the signed credential
import {readStdin, sign} from './harness.mjs';

process.stdout.write(JSON.stringify(await sign(await readStdin())) + '\n');
