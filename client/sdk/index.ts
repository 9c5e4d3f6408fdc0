export {
  RealmClient,
  OpenGrooveError,
  CHUNK_BYTES,
  type Quotas,
  type RegisterResult,
  type ConnectOptions,
  type Reply,
} from "./client.ts";
export { openConnection, type RawConnection } from "./connection.ts";
export {
  Workspaces,
  isSuspended,
  WORKSPACE_CHUNK_BYTES,
  type WorkspaceInfo,
  type WorkspaceMember,
  type ChangeEntry,
  type PullResult,
  type WorkspaceEvent,
  type PublishOptions,
} from "./workspaces.ts";
export { ManagementClient, type ManagementConnectOptions, type RealmKeyListing } from "./management.ts";
export { exportAccount, deleteAccount, type ExportInfo, type DeletedAccount } from "./account.ts";
