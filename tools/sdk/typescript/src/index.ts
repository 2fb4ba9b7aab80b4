/**
 * TypeScript client for tenantkv's HTTP API.
 *
 * @packageDocumentation
 */
export {
  TenantKV,
  type ApiKey,
  type BatchOp,
  type BatchResult,
  type ClientOptions,
  type DeleteOptions,
  type DeleteResult,
  type Found,
  type GetOptions,
  type Head,
  type ListItem,
  type ListOptions,
  type ListPage,
  type NewApiKey,
  type NotModified,
  type PageOptions,
  type PutOptions,
  type PutResult,
  type Quota,
  type QuotaManifest,
  type QuotaPatch,
  type Role,
  type Usage,
} from "./client.js";
export type { Bytes } from "./encoding.js";
export {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  InsufficientStorageError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  PreconditionFailedError,
  RateLimitedError,
  ServerError,
  ServiceUnavailableError,
  TenantKVError,
  TimeoutError,
  type ClientCode,
  type ErrorInit,
  type ProblemCode,
} from "./errors.js";
export type { RateLimit, ResponseMeta, WithMeta } from "./meta.js";
export type { CallOptions, RetryOptions } from "./transport.js";
export type { components, paths, operations } from "./openapi.js";
