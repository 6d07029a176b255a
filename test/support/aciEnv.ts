// The environment of an aci runner against the fakes: Azurite for storage, the ARM fake for Azure,
// short deadlines so a scenario that goes wrong fails in seconds.
export function aciTestEnv(armEndpoint: string, storageConnectionString: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    SHARPBOX_BACKEND: 'aci',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
    AZURE_RESOURCE_GROUP: 'sharpbox-runs',
    AZURE_LOCATION: 'westeurope',
    ACI_IMAGE: 'example.azurecr.io/sharpbox-sandbox:1',
    AZURE_ARM_ENDPOINT: armEndpoint,
    AZURE_STORAGE_CONNECTION_STRING: storageConnectionString,
    RUN_TIMEOUT_MS: '3000',
    COMPILE_TIMEOUT_MS: '15000',
    ACI_STARTUP_ALLOWANCE_MS: '5000',
    ACI_SWEEP_INTERVAL_MS: '3600000',
    LOG_LEVEL: 'silent',
    ...over,
  };
}
