export { RealmClient, OpenGrooveError, CHUNK_BYTES, type Quotas, type RegisterResult, type ConnectOptions, type Reply } from "./client.ts";
export { openConnection, type RawConnection } from "./connection.ts";
