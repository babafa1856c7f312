/**
 * Public AWS list prices used by the cost model. Not fetched (the bench runs offline): written
 * down from the price pages as the author knew them. Check them before relying on the result.
 */
export const PRICES_AS_OF = 'prices as of January 2025, us-east-1, check before relying';

export const PRICES = {
  lambda: {
    /** Arm64 (Graviton), first price tier, per GB-second. */
    armGbSecond: 0.0000133334,
    perMillionRequests: 0.2,
    /** Memory at which a function has one full vCPU (Lambda scales CPU with memory). */
    fullVcpuMemoryMb: 1769,
  },
  apiGateway: {
    /** WebSocket API: messages in 32 KB units, both directions, first billion per month. */
    webSocketPerMillionMessages: 1.0,
    webSocketPerMillionConnectionMinutes: 0.25,
    /** HTTP API, first 300 million requests per month (512 KB units). */
    httpPerMillionRequests: 1.0,
  },
  dynamoDb: {
    /** On-demand, Standard table class (after the November 2024 reduction). */
    perMillionWriteRequestUnits: 0.625,
    perMillionReadRequestUnits: 0.125,
  },
  eventBridge: {
    /** PutEvents, custom events, per million 64 KB chunks. */
    perMillionEvents: 1.0,
  },
  cloudWatchLogs: {
    /** Standard log class ingestion. */
    perGbIngested: 0.5,
  },
} as const;

/**
 * Latencies the model assumes inside AWS (not measured here; this bench has no AWS account).
 * Used only to turn the measured round-trip counts into a Lambda duration.
 */
export const ASSUMED = {
  dynamoDbRoundTripMs: 8,
  managementApiPostMs: 25,
  eventBridgePutMs: 25,
  /** START, END and REPORT lines Lambda writes per invocation. */
  platformLogBytesPerInvocation: 350,
  /** This machine's CPU time counts as Graviton CPU time, scaled by the vCPU share of the memory size. */
  cpuSpeedRatio: 1,
};
