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
export { FollowingConnection, parseServerAddress, type FollowOptions } from "./following-connection.ts";
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
export { Subscriptions, type Subscription, type SubscriptionType, type Visibility } from "./subscriptions.ts";
export { ImessageQuotas } from "./imessage-quotas.ts";
export { HelpDocuments } from "./help-documents.ts";
export { Channels, type ChannelInfo, type ChannelMemberInfo, type ChannelPacket } from "./channels.ts";
export { ManagementClient, type ManagementConnectOptions, type RealmKeyListing } from "./management.ts";
export {
  SecureMessaging,
  E2EError,
  type Keyring,
  type OpenedMessage,
  type SenderTrust,
  type SendOptions,
} from "./secure-messages.ts";
export { KnownKeys, memoryBackend, describeKeyChange, type KeyChange, type KnownKey } from "./crypto/known-keys.ts";
export { SealedMessageError } from "./crypto/sealed-message.ts";
export { exportAccount, deleteAccount, type ExportInfo, type DeletedAccount } from "./account.ts";
export { SecureWorkspaces, type SecurePublishOptions } from "./secure-workspaces.ts";
export { LanNode, type LanNodeOptions, type LanImessage, type LanWorkspaceChange, type Via } from "./lan/lan-node.ts";
export { LanDiscovery, type LanPeer, type DiscoveryOptions } from "./lan/discovery.ts";
export { LAN_MULTICAST_GROUP, LAN_DISCOVERY_PORT, LAN_DIRECT_PORT } from "./lan/announce.ts";
