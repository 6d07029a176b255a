// The Azure SDK clients the aci backend uses, made from config: ARM (Container Instances) and Blob
// Storage, with the SAS URLs a container gets.
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { BlobSASPermissions, BlobServiceClient, SASProtocol, type BlockBlobClient, type ContainerClient, type UserDelegationKey } from '@azure/storage-blob';
import type { AciConfig } from '../../../config.js';

export interface AciClients {
  aci: ContainerInstanceManagementClient;
  container: ContainerClient;
  /** A SAS URL for one blob: read-only for what the container downloads, create+write for its result. */
  sasUrl(blob: BlockBlobClient, permissions: 'r' | 'cw', ttlMinutes: number): Promise<string>;
}

/** The local ARM fake and Azurite speak plain http on loopback; nothing else may. */
export function isLoopbackHttp(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]');
}

/** A fixed token for the local ARM fake only (DefaultAzureCredential would probe IMDS and CLIs). */
const fakeArmCredential: TokenCredential = { getToken: async () => ({ token: 'local-arm-fake', expiresOnTimestamp: Date.now() + 3_600_000 }) };

export function createAciClients(cfg: AciConfig): AciClients {
  const local = isLoopbackHttp(cfg.armEndpoint);
  // Production: DefaultAzureCredential resolves to the service's managed identity (pin it with
  // AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential, or AZURE_CLIENT_ID for a user-assigned one).
  const credential: TokenCredential = local ? fakeArmCredential : new DefaultAzureCredential();
  const aci = new ContainerInstanceManagementClient(credential, cfg.subscriptionId, {
    endpoint: cfg.armEndpoint,
    ...(local ? { allowInsecureConnection: true, retryOptions: { maxRetries: 3, retryDelayInMs: 20, maxRetryDelayInMs: 200 } } : {}),
  });
  if (local) {
    // The bearer policy refuses non-TLS URLs; against the loopback fake, send the fixed token ourselves.
    aci.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
    aci.pipeline.addPolicy({ name: 'localFakeAuth', sendRequest: (req, next) => (req.headers.set('authorization', 'Bearer local-arm-fake'), next(req)) });
  }

  const service = cfg.storage.connectionString
    ? BlobServiceClient.fromConnectionString(cfg.storage.connectionString)
    : new BlobServiceClient(cfg.storage.accountUrl as string, new DefaultAzureCredential());
  const container = service.getContainerClient(cfg.storage.container);
  const httpsOnly = !isLoopbackHttp(service.url);
  let delegation: { key: UserDelegationKey; until: number } | null = null;

  return {
    aci,
    container,
    async sasUrl(blob, permissions, ttlMinutes) {
      const options = {
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 60_000), // clock skew between us and storage
        expiresOn: new Date(Date.now() + ttlMinutes * 60_000),
        ...(httpsOnly ? { protocol: SASProtocol.Https } : {}),
      };
      if (cfg.storage.connectionString) return blob.generateSasUrl(options);
      // No account key: a user-delegation SAS, signed with a key from our own identity (cached for a day).
      if (!delegation || delegation.until < Date.now() + 3_600_000) {
        const until = Date.now() + 24 * 3_600_000;
        delegation = { key: await service.getUserDelegationKey(new Date(Date.now() - 60_000), new Date(until)), until };
      }
      return blob.generateUserDelegationSasUrl(options, delegation.key);
    },
  };
}
