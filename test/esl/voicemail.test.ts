/**
 * A mailbox's messages over the event socket, against nodes that answer mod_voicemail's commands
 * as FreeSWITCH 1.10 does (JSON of `VM-*` headers): every node held and connected is asked, a change goes
 * to the node holding the message, and only after the mailbox was seen to hold it (vm_read and
 * vm_delete match a message UUID alone, whoever's mailbox it is in).
 */
import t from 'tap';
import type { EslNodes } from '../../src/esl/nodes.js';
import { NodeAccess } from '../../src/esl/node-access.js';
import { VoicemailBoxes, VoicemailUnavailableError } from '../../src/esl/voicemail.js';

const BOX = { domain: 'acme.switchplane.test', user: '1006' };

interface Stored { uuid: string; user: string; created: number; read: number; cid: string }

/** A node holding `messages`, answering vm_fsdb_msg_list/get, vm_read and vm_delete; `sent` logs the commands. */
function node(name: string, messages: Stored[], connected = true) {
  const sent: string[] = [];
  const conn = {
    health: () => ({ name, connected }),
    async api(cmd: string) {
      sent.push(cmd);
      const [verb, ...args] = cmd.split(' ');
      if (verb === 'vm_fsdb_msg_list') {
        const [, , , user, , filter] = args;
        const ids = messages.filter((m) => m.user === user && (filter === 'not-read' ? m.read === 0 : m.read !== 0)).map((m) => m.uuid);
        return JSON.stringify({ 'Event-Name': 'REQUEST_PARAMS', 'VM-List-Count': String(ids.length), ...Object.fromEntries(ids.map((id, i) => [`VM-List-Message-${i + 1}-UUID`, id])) });
      }
      if (verb === 'vm_fsdb_msg_get') {
        const [, , , user, uuid] = args;
        const m = messages.find((x) => x.user === user && x.uuid === uuid);
        return JSON.stringify(m ? {
          'VM-Message-Received-Epoch': String(m.created), 'VM-Message-Read-Epoch': String(m.read), 'VM-Message-UUID': m.uuid,
          'VM-Message-Caller-Name': 'Mario Rossi', 'VM-Message-Caller-Number': m.cid, 'VM-Message-Folder': 'inbox',
          'VM-Message-File-Path': `/var/lib/freeswitch/storage/voicemail/default/${BOX.domain}/${user}/msg_${m.uuid}.wav`,
          'VM-Message-Duration': '5', 'VM-Message-Flags': '', 'VM-Message-Read-Flags': 'B_NORMAL', 'VM-Message-Forwarded-By': '',
        } : { 'Event-Name': 'REQUEST_PARAMS' });
      }
      const m = messages.find((x) => x.uuid === args[args.length - 1]);
      if (verb === 'vm_read' && m) m.read = args[1] === 'read' ? 1_800_000_000 : 0;
      if (verb === 'vm_delete' && m) messages.splice(messages.indexOf(m), 1);
      return '+OK\n';
    },
  };
  return { conn, sent };
}

const boxesOf = (...nodes: Array<ReturnType<typeof node>>) => new VoicemailBoxes(new NodeAccess({ nodes: { connections: nodes.map((n) => n.conn) } as unknown as EslNodes }));

t.test('the messages of every connected node, newest first, each naming its node', async (t) => {
  const fs1 = node('fs1', [{ uuid: 'a1', user: '1006', created: 1_700_000_000, read: 0, cid: '1001' }, { uuid: 'x9', user: '1007', created: 1_700_000_500, read: 0, cid: '1001' }]);
  const fs2 = node('fs2', [{ uuid: 'b2', user: '1006', created: 1_700_000_100, read: 1_700_000_200, cid: '+390510510511' }]);
  const down = node('fs3', [{ uuid: 'c3', user: '1006', created: 1_700_000_900, read: 0, cid: '1002' }], false);
  const list = await boxesOf(fs1, fs2, down).list(BOX);
  t.same(list.map((m) => [m.id, m.node, m.readAt?.toISOString() ?? null]), [['b2', 'fs2', new Date(1_700_000_200_000).toISOString()], ['a1', 'fs1', null]]);
  t.match(list[1], { callerName: 'Mario Rossi', callerNumber: '1001', durationSeconds: 5, urgent: false, receivedAt: new Date(1_700_000_000_000) });
  t.same(down.sent, [], 'a node that is down is not asked');
  t.match(fs1.sent[0], /^vm_fsdb_msg_list json default acme\.switchplane\.test 1006 inbox not-read$/);
});

t.test('mark read and delete go to the node holding the message, once the mailbox is seen to hold it', async (t) => {
  const fs1 = node('fs1', [{ uuid: 'x9', user: '1007', created: 1, read: 0, cid: '1001' }]);
  const fs2 = node('fs2', [{ uuid: 'b2', user: '1006', created: 1, read: 0, cid: '1001' }]);
  const boxes = boxesOf(fs1, fs2);
  t.match(await boxes.markRead(BOX, 'b2', true), { id: 'b2', node: 'fs2', readAt: new Date(1_800_000_000_000) });
  t.ok(fs2.sent.includes('vm_read 1006@acme.switchplane.test/default read b2'));
  t.equal(await boxes.markRead(BOX, 'x9', true), null, 'another mailbox\'s message is not found');
  t.equal(await boxes.remove(BOX, 'x9'), false);
  t.notOk(fs1.sent.some((c) => c.startsWith('vm_read') || c.startsWith('vm_delete')), 'and never changed');
  t.equal(await boxes.remove(BOX, 'b2'), true);
  t.ok(fs2.sent.includes('vm_delete 1006@acme.switchplane.test/default b2'));
  t.same(await boxes.list(BOX), []);
});

t.test('without a connected node: VoicemailUnavailableError', async (t) => {
  for (const attempt of [boxesOf(node('fs1', [], false)).list(BOX), boxesOf().get(BOX, 'a1')]) {
    t.ok((await attempt.catch((err: unknown) => err)) instanceof VoicemailUnavailableError);
  }
});
