export { runStoreContract, type StoreFactory } from './store-contract';
export { runBulkContract, type BulkCapableStore, type BulkStoreFactory } from './bulk-contract';
export {
  drawInCircle,
  newExchangeRecord,
  newExchangeWithSecrets,
  newIdempotencyIntent,
  newParticipantRecord,
  newParticipantRecords,
  newParticipantWithToken,
  type ExchangeWithSecrets,
  type ParticipantWithToken,
  type RecordingIdempotencyIntent,
} from './builders';
