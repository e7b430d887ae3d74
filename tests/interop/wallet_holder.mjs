/*
 * A holder's wallet, as a third-party library plays it: @sphereon/oid4vci-client (OpenID4VCI draft 15 / 1.0
 * request and response shapes) takes the credential offer link a volunteer scans, resolves it, fetches the issuer's
 * and authorization server's metadata, exchanges the pre-authorized code at the token endpoint and asks the
 * credential endpoint for the offered `ldp_vc` credential. Our credentials are not bound to a holder key, so the
 * request carries no proof (`acquireCredentialsWithoutProof`).
 *
 * node wallet_holder.mjs 'openid-credential-offer://?credential_offer=…'  ->  one JSON line on stdout
 */
import {CredentialRequestClientBuilderV1_0_15, OpenID4VCIClientV1_0_15} from '@sphereon/oid4vci-client';

const uri = process.argv[2];
const client = await OpenID4VCIClientV1_0_15.fromURI({uri, retrieveServerMetadata: true});
const metadata = client.endpointMetadata;
const configurationIds = client.credentialOffer.credential_offer.credential_configuration_ids;
const offered = metadata.credentialIssuerMetadata.credential_configurations_supported[configurationIds[0]];

const tokenResponse = await client.acquireAccessToken();
const requestClient = CredentialRequestClientBuilderV1_0_15
  .fromCredentialOffer({credentialOffer: client.credentialOffer, metadata})
  .withTokenFromResponse(tokenResponse)
  .build();
const response = await requestClient.acquireCredentialsWithoutProof({format: offered.format});
if(response.errorBody || !response.successBody) {
  throw new Error(`credential request failed: ${response.origResponse.status} ${JSON.stringify(response.errorBody)}`);
}
process.stdout.write(JSON.stringify({
  issuer: client.getIssuer(),
  configurationIds,
  format: offered.format,
  tokenEndpoint: metadata.token_endpoint,
  credentialEndpoint: metadata.credential_endpoint,
  tokenType: tokenResponse.token_type,
  credentials: response.successBody.credentials
}) + '\n');
