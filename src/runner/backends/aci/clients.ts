// The Azure SDK clients the aci backend uses, made from config: ARM (Container Instances) and Blob
// Storage, with the SAS URLs a container gets. There is one path, the production one: tests reach their
// fakes through it (HTTPS with a test CA, a token from a fake Entra), so what they prove holds here.
import { ContainerInstanceManagementClient } from '@azure/arm-containerinstance';
import { DefaultAzureCredential } from '@azure/identity';
import {
  BlobSASPermissions,
  BlobServiceClient,
  SASProtocol,
  type BlockBlobClient,
  type ContainerClient,
  type UserDelegationKey,
} from '@azure/storage-blob';
import type { AciConfig } from '../../../config.js';
import { throttleBudgetPolicy } from './throttleBudget.js';

export interface AciClients {
  aci: ContainerInstanceManagementClient;
  container: ContainerClient;
  /** A SAS URL for one blob: read-only for what the container downloads, create+write for its result. */
  sasUrl(blob: BlockBlobClient, permissions: 'r' | 'cw', ttlMinutes: number): Promise<string>;
}

export function createAciClients(cfg: AciConfig): AciClients {
  // DefaultAzureCredential resolves to the service's managed identity in production (pin it with
  // AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential, and AZURE_CLIENT_ID for a user-assigned one), or
  // to a service principal from AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET. A private cloud
  // whose authority login.microsoft.com does not know needs instance discovery off.
  const credential = new DefaultAzureCredential({ disableInstanceDiscovery: cfg.disableInstanceDiscovery });
  // The SDK's retries as they are (three, honouring Retry-After), except that no call sleeps longer
  // than the throttle budget on one answer (throttleBudget.ts).
  const aci = new ContainerInstanceManagementClient(credential, cfg.subscriptionId, {
    endpoint: cfg.armEndpoint,
    additionalPolicies: [throttleBudgetPolicy(cfg.maxThrottleWaitMs)],
  });

  const service = cfg.storage.connectionString
    ? BlobServiceClient.fromConnectionString(cfg.storage.connectionString)
    : new BlobServiceClient(cfg.storage.accountUrl as string, credential);
  const container = service.getContainerClient(cfg.storage.container);
  // A SAS can only name a scheme the account serves: every Azure account serves https, and its SAS is
  // https-only; an account endpoint on plain http (the storage emulator) cannot take an https-only SAS.
  const protocol = new URL(service.url).protocol === 'https:' ? SASProtocol.Https : SASProtocol.HttpsAndHttp;
  let delegation: { key: UserDelegationKey; until: number } | null = null;

  return {
    aci,
    container,
    async sasUrl(blob, permissions, ttlMinutes) {
      const options = {
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 60_000), // clock skew between us and storage
        expiresOn: new Date(Date.now() + ttlMinutes * 60_000),
        protocol,
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
