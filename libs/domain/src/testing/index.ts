export { runStoreContract, type StoreFactory } from './store-contract';
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
