/*
 * The JavaScript reference side of the interop tests: sign, verify and canonize with the Digital Bazaar
 * libraries, offline. The document loader knows only the contexts bundled in credentials/proofs/contexts/ (the same
 * files the Python service uses), did:key documents built from the key itself, and controller documents the
 * caller passes in.
 */
import {gunzipSync} from 'node:zlib';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import {cryptosuite as ecdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';

import {publishedContextUrls, signPublished, verifyPublished} from './published.mjs';

const {purposes: {AssertionProofPurpose}} = jsigs;
const CONTEXTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'credentials', 'proofs', 'contexts');

const contexts = new Map();
for(const [url, entry] of Object.entries(
  JSON.parse(readFileSync(join(CONTEXTS, 'index.json'), 'utf8')))) {
  contexts.set(url, JSON.parse(readFileSync(join(CONTEXTS, entry.file), 'utf8')));
}

function didKeyDocument(did) {
  const multikey = did.slice('did:key:'.length);
  const id = `${did}#${multikey}`;
  return {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{id, type: 'Multikey', controller: did, publicKeyMultibase: multikey}],
    authentication: [id],
    assertionMethod: [id],
    capabilityInvocation: [id],
    capabilityDelegation: [id]
  };
}

// as did-io resolvers answer for a verification method id: the node, framed with its document's @context
function fragmentNode(document, url) {
  const node = (document.verificationMethod || []).find(
    m => m.id === url || m.id === url.slice(url.indexOf('#')));
  if(!node) {
    throw new Error(`${url} is not in its controller document`);
  }
  return {'@context': document['@context'], ...node, id: url};
}

export function documentLoader({documents = {}} = {}) {
  return async url => {
    let document = contexts.get(url) ?? documents[url];
    if(document === undefined) {
      const base = url.split('#')[0];
      const container = documents[base] ??
        (base.startsWith('did:key:') ? didKeyDocument(base) : undefined);
      if(container === undefined) {
        throw new Error(`offline loader: ${url} is unknown`);
      }
      document = base === url ? container : fragmentNode(container, url);
    }
    return {contextUrl: null, documentUrl: url, document};
  };
}

async function keyPair({secretKeyMultibase, publicKeyMultibase, verificationMethod}) {
  const controller = verificationMethod.split('#')[0];
  const key = {
    '@context': 'https://w3id.org/security/multikey/v1',
    type: 'Multikey', id: verificationMethod, controller, publicKeyMultibase, secretKeyMultibase
  };
  return publicKeyMultibase.startsWith('z6Mk') ?
    {pair: await Ed25519Multikey.from(key), cryptosuite: eddsaRdfc2022} :
    {pair: await EcdsaMultikey.from(key), cryptosuite: ecdsaRdfc2019};
}

// mode "vc": @digitalbazaar/vc issue / verifyCredential (credential checks, issuer must control the key);
// mode "jsigs": plain jsonld-signatures with an assertionMethod purpose (for documents whose issuer is not the
// key's controller, like the W3C test vector)
export async function sign({credential, secretKeyMultibase, publicKeyMultibase, verificationMethod, created,
  documents, mode = 'vc'}) {
  const {pair, cryptosuite} = await keyPair({secretKeyMultibase, publicKeyMultibase, verificationMethod});
  const suite = new DataIntegrityProof({signer: pair.signer(), cryptosuite, date: created});
  const loader = documentLoader({documents});
  if(mode === 'vc') {
    return vc.issue({credential: structuredClone(credential), suite, documentLoader: loader});
  }
  return jsigs.sign(structuredClone(credential), {
    suite, purpose: new AssertionProofPurpose(), documentLoader: loader
  });
}

// Bitstring Status List check for @digitalbazaar/vc, from status list credentials the caller hands over (offline):
// each list credential is verified with the same suites, then the entry's bit is read (index 0 = left-most bit).
function statusChecker({statusLists = {}, suite, loader}) {
  return async ({credential}) => {
    const entries = [credential.credentialStatus].flat().filter(Boolean);
    for(const entry of entries) {
      const list = statusLists[entry.statusListCredential];
      if(!list) {
        return {verified: false, error: new Error(`no status list ${entry.statusListCredential}`)};
      }
      const listResult = await vc.verifyCredential({credential: list, suite, documentLoader: loader});
      if(!listResult.verified) {
        return {verified: false, error: new Error('status list credential does not verify')};
      }
      const bits = gunzipSync(Buffer.from(list.credentialSubject.encodedList.slice(1), 'base64url'));
      const index = Number(entry.statusListIndex);
      if(bits[index >> 3] & (0x80 >> (index & 7))) {
        return {verified: false, error: new Error(`credential is marked ${entry.statusPurpose}`)};
      }
    }
    return {verified: true};
  };
}

export async function verify({credential, documents, statusLists, mode = 'vc'}) {
  const suite = [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019})
  ];
  const loader = documentLoader({documents});
  const checkStatus = statusLists ? statusChecker({statusLists, suite, loader}) : undefined;
  const result = mode === 'vc' ?
    await vc.verifyCredential({credential, suite, documentLoader: loader, checkStatus}) :
    await jsigs.verify(credential, {suite, purpose: new AssertionProofPurpose(), documentLoader: loader});
  const errors = [result.error, ...(result.results || []).map(r => r.error), result.statusResult?.error]
    .filter(Boolean)
    .flatMap(e => e.errors || [e]).map(e => e.message || String(e));
  return {verified: result.verified, error: errors.length ? errors.join('; ') : null};
}

// Presentations: @digitalbazaar/vc signPresentation / verify (an authentication proof bound to a
// challenge and a domain; verify also checks every credential in the presentation).
export async function signPresentation({presentation, secretKeyMultibase, publicKeyMultibase, verificationMethod,
  challenge, domain, created}) {
  const {pair, cryptosuite} = await keyPair({secretKeyMultibase, publicKeyMultibase, verificationMethod});
  const suite = new DataIntegrityProof({signer: pair.signer(), cryptosuite, date: created});
  return vc.signPresentation({presentation: structuredClone(presentation), suite, challenge, domain,
    documentLoader: documentLoader()});
}

export async function verifyPresentation({presentation, challenge, domain, documents}) {
  const suite = [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019})
  ];
  const result = await vc.verify({presentation, suite, challenge, domain,
    documentLoader: documentLoader({documents})});
  const errors = [result.error, ...(result.credentialResults || []).map(r => r.error)]
    .filter(Boolean)
    .flatMap(e => e.errors || [e]).map(e => e.message || String(e));
  return {verified: result.verified, error: errors.length ? errors.join('; ') : null};
}

export async function canonize({document, documents}) {
  return eddsaRdfc2022.canonize(document, {documentLoader: documentLoader({documents})});
}

export const operations = {sign, verify, canonize, signPresentation, verifyPresentation, verifyPublished,
  signPublished, publishedContextUrls};

export async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
