// The dispatch table: every protocol command, each in its own file, with the connection states
// it is allowed in (see state.ts).
import type { CommandSpec } from "./types.ts";
import { setCommandNames } from "./names.ts";
import authenticate from "./authenticate.ts";
import createcomputer from "./createcomputer.ts";
import createmessage from "./createmessage.ts";
import deleteaccount from "./deleteaccount.ts";
import deletecomputer from "./deletecomputer.ts";
import deletemessage from "./deletemessage.ts";
import deletemessages from "./deletemessages.ts";
import deleteusersetting from "./deleteusersetting.ts";
import exportaccount from "./exportaccount.ts";
import getmessageinfo from "./getmessageinfo.ts";
import getmessagesize from "./getmessagesize.ts";
import getquotas from "./getquotas.ts";
import getquotasremainer from "./getquotasremainer.ts";
import getserverinfo from "./getserverinfo.ts";
import gettime from "./gettime.ts";
import getusersetting from "./getusersetting.ts";
import getuserstatus from "./getuserstatus.ts";
import listcomputers from "./listcomputers.ts";
import listinboundmessages from "./listinboundmessages.ts";
import listoutboundmessages from "./listoutboundmessages.ts";
import listusersettings from "./listusersettings.ts";
import nop from "./nop.ts";
import ping from "./ping.ts";
import postmessage from "./postmessage.ts";
import quit from "./quit.ts";
import readexport from "./readexport.ts";
import readmessagedata from "./readmessagedata.ts";
import readmessages from "./readmessages.ts";
import registeraccount from "./registeraccount.ts";
import searchusers from "./searchusers.ts";
import sendimessage from "./sendimessage.ts";
import sendmessage from "./sendmessage.ts";
import setcomputersetting from "./setcomputersetting.ts";
import setmessagesize from "./setmessagesize.ts";
import setpassword from "./setpassword.ts";
import setusersetting from "./setusersetting.ts";
import writemessagedata from "./writemessagedata.ts";
// The original commands that were missing (issue #15).
import createsubscription from "./createsubscription.ts";
import deletesubscription from "./deletesubscription.ts";
import listsubscriptions from "./listsubscriptions.ts";
import setvisibility from "./setvisibility.ts";
import getvisibility from "./getvisibility.ts";
import deletecomputersetting from "./deletecomputersetting.ts";
import setimessagequota from "./setimessagequota.ts";
import listimessagequotas from "./listimessagequotas.ts";
import getlocalimessagequota from "./getlocalimessagequota.ts";
import getremoteimessagequota from "./getremoteimessagequota.ts";
import listhelpdocuments from "./listhelpdocuments.ts";
import gethelpdocument from "./gethelpdocument.ts";
import gethelpdocumenthash from "./gethelpdocumenthash.ts";
import help from "./help.ts";
import createchannel from "./createchannel.ts";
import addchannelmember from "./addchannelmember.ts";
import acceptchannelinvite from "./acceptchannelinvite.ts";
import listchannelmembers from "./listchannelmembers.ts";
import listchannels from "./listchannels.ts";
import removechannelmember from "./removechannelmember.ts";
import leavechannel from "./leavechannel.ts";
import deletechannel from "./deletechannel.ts";
import channelsend from "./channelsend.ts";
// Shared workspaces (issue #7).
import workspaceabort from "./workspaceabort.ts";
import workspaceaccept from "./workspaceaccept.ts";
import workspaceack from "./workspaceack.ts";
import workspacebegin from "./workspacebegin.ts";
import workspacecreate from "./workspacecreate.ts";
import workspaceinvite from "./workspaceinvite.ts";
import workspaceleave from "./workspaceleave.ts";
import workspacelist from "./workspacelist.ts";
import workspacemembers from "./workspacemembers.ts";
import workspacepublish from "./workspacepublish.ts";
import workspacepull from "./workspacepull.ts";
import workspaceread from "./workspaceread.ts";
import workspaceremove from "./workspaceremove.ts";
import workspaceresync from "./workspaceresync.ts";
import workspaceseal from "./workspaceseal.ts";
import workspacewrite from "./workspacewrite.ts";

const ALL: CommandSpec[] = [
  authenticate,
  createcomputer,
  createmessage,
  deleteaccount,
  deletecomputer,
  deletemessage,
  deletemessages,
  deleteusersetting,
  exportaccount,
  getmessageinfo,
  getmessagesize,
  getquotas,
  getquotasremainer,
  getserverinfo,
  gettime,
  getusersetting,
  getuserstatus,
  listcomputers,
  listinboundmessages,
  listoutboundmessages,
  listusersettings,
  nop,
  ping,
  postmessage,
  quit,
  readexport,
  readmessagedata,
  readmessages,
  registeraccount,
  searchusers,
  sendimessage,
  sendmessage,
  setcomputersetting,
  setmessagesize,
  setpassword,
  setusersetting,
  writemessagedata,
  createsubscription,
  deletesubscription,
  listsubscriptions,
  setvisibility,
  getvisibility,
  deletecomputersetting,
  setimessagequota,
  listimessagequotas,
  getlocalimessagequota,
  getremoteimessagequota,
  listhelpdocuments,
  gethelpdocument,
  gethelpdocumenthash,
  help,
  createchannel,
  addchannelmember,
  acceptchannelinvite,
  listchannelmembers,
  listchannels,
  removechannelmember,
  leavechannel,
  deletechannel,
  channelsend,
  workspaceabort,
  workspaceaccept,
  workspaceack,
  workspacebegin,
  workspacecreate,
  workspaceinvite,
  workspaceleave,
  workspacelist,
  workspacemembers,
  workspacepublish,
  workspacepull,
  workspaceread,
  workspaceremove,
  workspaceresync,
  workspaceseal,
  workspacewrite,
];

export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(ALL.map((c) => [c.name, c]));

setCommandNames(() => [...COMMANDS.keys()].sort());
