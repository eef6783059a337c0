// Every command the shell knows. Add a command: write its file, add one line here.
import type { CommandDef, GroupDef } from '../shell/types.js';
import { audit } from './account/audit.js';
import { browser } from './account/browser.js';
import { whoami } from './account/whoami.js';
import { adminAudit } from './admin/audit.js';
import { adminCreditsGrant } from './admin/creditsGrant.js';
import { adminLimits } from './admin/limits.js';
import { adminUsage } from './admin/usage.js';
import { adminUsers } from './admin/users.js';
import { credits } from './usage/credits.js';
import { keysCreate } from './keys/create.js';
import { keysList } from './keys/list.js';
import { keysRevoke } from './keys/revoke.js';
import { usage } from './usage/usage.js';
import { sshKeyAdd } from './ssh-key/add.js';
import { sshKeyList } from './ssh-key/list.js';
import { sshKeyRemove } from './ssh-key/remove.js';
import { sshKeyRename } from './ssh-key/rename.js';
import { integrationsAdd } from './integrations/add.js';
import { integrationsAttach, integrationsDetach } from './integrations/attach.js';
import { integrationsCatalog } from './integrations/catalog.js';
import { integrationsEdit } from './integrations/edit.js';
import { integrationsList } from './integrations/list.js';
import { integrationsRemove } from './integrations/remove.js';
import { integrationsRename } from './integrations/rename.js';
import { integrationsSetup } from './integrations/setup.js';
import { integrationsTest } from './integrations/test.js';
import { teamAdd } from './team/add.js';
import { teamCreate } from './team/create.js';
import { teamDelete } from './team/delete.js';
import { teamLeave } from './team/leave.js';
import { teamMembers } from './team/members.js';
import { teamRemove } from './team/remove.js';
import { teamRole } from './team/role.js';
import { teamTransfer } from './team/transfer.js';
import { teamUsage } from './team/usage.js';
import { comment } from './vm/comment.js';
import { ls } from './vm/ls.js';
import { newVm } from './vm/new.js';
import { rename } from './vm/rename.js';
import { rm } from './vm/rm.js';
import { tag } from './vm/tag.js';

export const commands: CommandDef[] = [whoami, newVm, ls, rm, tag, rename, comment, sshKeyList, sshKeyAdd, sshKeyRemove, sshKeyRename,
  integrationsList, integrationsAdd, integrationsEdit, integrationsRemove, integrationsRename, integrationsAttach, integrationsDetach, integrationsTest, integrationsCatalog, integrationsSetup,
  keysCreate, keysList, keysRevoke,
  teamCreate, teamMembers, teamAdd, teamRemove, teamRole, teamTransfer, teamLeave, teamDelete, teamUsage,
  usage, credits, audit, adminUsers, adminUsage, adminCreditsGrant, adminLimits, adminAudit,
  browser,
];

export const groups: GroupDef[] = [
  { name: 'ssh-key', summary: 'manage the SSH keys that log in to your account' },
  { name: 'integrations', aliases: ['int'], summary: 'configure what your VMs can reach through the gateway' },
  { name: 'team', summary: 'work in a team: members, roles, and integrations shared by tag', default: 'members' },
  { name: 'keys', summary: 'API keys for clients outside VMs (laptops, CI)' },
  { name: 'admin', summary: 'operator commands (admins only)' },
];
