/**
 * The voicemail API of an extension (VoIP extensions guide) against a FreeSWITCH event socket that
 * answers mod_voicemail's commands: a customer lists, reads, marks read and deletes the messages
 * of its own extension's mailbox; another customer, a message of another mailbox, or an agent on
 * another extension get 404/403; without an event socket the answer is 503.
 */
import t from 'tap';
import { buildApp } from '../../src/wiring/http.js';
import { backends } from '../helpers/backends.js';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { eslRig } from '../helpers/esl-controller.js';

const MSG = '0b9f1c52-7d0a-4f4e-9d55-0a4c1f3c2e10';
const OTHER = '7e1d2c3b-4a59-4687-9123-456789abcdef';

for (const backend of backends) {
  t.test(`${backend.name}: voicemail API`, async (t) => {
    const ctx = await demoApp(backend);
    const keys = await demoKeys(ctx.store);
    t.teardown(() => ctx.close());
    /** Acme 1001's mailbox holds MSG; OTHER is in 1002's. */
    let read = 0;
    let deleted = false;
    const sent: string[] = [];
    const rig = await eslRig(t, [], ctx.metrics, (cmd) => {
      sent.push(cmd);
      const list = /^vm_fsdb_msg_list json default acme\.switchplane\.test (\S+) inbox (not-read|read)$/.exec(cmd);
      if (list) {
        const mine = list[1] === '1001' && !deleted && (list[2] === 'read') === read > 0;
        return JSON.stringify({ 'VM-List-Count': mine ? '1' : '0', ...(mine ? { 'VM-List-Message-1-UUID': MSG } : {}) });
      }
      const get = /^vm_fsdb_msg_get json default acme\.switchplane\.test (\S+) (\S+)$/.exec(cmd);
      if (get) {
        const found = get[1] === '1001' && get[2] === MSG && !deleted;
        return JSON.stringify(found ? {
          'VM-Message-UUID': MSG, 'VM-Message-Received-Epoch': '1796454000', 'VM-Message-Read-Epoch': String(read),
          'VM-Message-Caller-Name': 'Giulia Bianchi', 'VM-Message-Caller-Number': '1002', 'VM-Message-Duration': '7', 'VM-Message-Read-Flags': 'A_URGENT',
          'VM-Message-File-Path': '/var/lib/freeswitch/storage/voicemail/default/acme.switchplane.test/1001/msg_5d4e3f2a-1b0c-4d9e-8f7a-6b5c4d3e2f1a.wav',
        } : { 'Event-Name': 'REQUEST_PARAMS' });
      }
      if (cmd === `vm_read 1001@acme.switchplane.test/default read ${MSG}`) read = 1796454100;
      else if (cmd === `vm_read 1001@acme.switchplane.test/default unread ${MSG}`) read = 0;
      else if (cmd === `vm_delete 1001@acme.switchplane.test/default ${MSG}`) deleted = true;
      else return undefined;
      return '+OK\n';
    });
    const app = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics, esl: rig.nodes });
    t.teardown(() => app.close());
    const ext = Object.fromEntries((await call(app, keys.acme, 'GET', '/api/v1/extensions')).body.data.map((e: any) => [e.extensionNumber, e.id]));
    const box = `/api/v1/extensions/${ext['1001']}/voicemail`;

    t.test('the customer lists and reads its extension\'s messages', async (t) => {
      const list = await call(app, keys.acme, 'GET', box);
      t.equal(list.status, 200);
      t.same(list.body.data, [{
        id: MSG, node: 'fs1', callerName: 'Giulia Bianchi', callerNumber: '1002', receivedAt: '2026-12-05T07:00:00.000Z',
        readAt: null, read: false, durationSeconds: 7, urgent: true,
      }]);
      t.match(await call(app, keys.admin, 'GET', `/api/v1/customers/${keys.acmeId}${box.slice(7)}/${MSG}`), { status: 200, body: { data: { id: MSG } } }, 'an admin, under /customers/{id}');
      t.match(await call(app, keys.acme, 'GET', `/api/v1/extensions/${ext['1002']}/voicemail`), { status: 200, body: { data: [] } });
    });

    t.test('mark read, mark new again', async (t) => {
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: true }), { status: 200, body: { data: { read: true, readAt: '2026-12-05T07:01:40.000Z' } } });
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: false }), { status: 200, body: { data: { read: false, readAt: null } } });
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: 'yes' }), { status: 400 });
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${MSG}`, { read: true, folder: 'old' }), { status: 400 });
    });

    t.test('another mailbox\'s message, another customer, a bad id: nothing changes', async (t) => {
      const before = sent.length;
      t.match(await call(app, keys.acme, 'PATCH', `${box}/${OTHER}`, { read: true }), { status: 404, body: { error: { code: 'not_found' } } });
      t.match(await call(app, keys.acme, 'DELETE', `${box}/${OTHER}`), { status: 404 });
      t.match(await call(app, keys.globex, 'GET', box), { status: 404 });
      t.match(await call(app, keys.globex, 'DELETE', `${box}/${MSG}`), { status: 404 });
      t.match(await call(app, keys.acme, 'GET', `${box}/not-a-uuid`), { status: 400 });
      t.notOk(sent.slice(before).some((c) => c.startsWith('vm_read') || c.startsWith('vm_delete')), 'FreeSWITCH was told to change nothing');
      t.match(await call(app, keys.acmeRead, 'DELETE', `${box}/${MSG}`), { status: 403 }, 'a read-only key cannot delete');
    });

    t.test('delete', async (t) => {
      t.equal((await call(app, keys.acme, 'DELETE', `${box}/${MSG}`)).status, 204);
      t.match(await call(app, keys.acme, 'GET', box), { status: 200, body: { data: [] } });
      t.match(await call(app, keys.acme, 'GET', `${box}/${MSG}`), { status: 404 });
    });

    t.test('without ESL_NODES: 503 esl_unavailable', async (t) => {
      const bare = await buildApp({ config: ctx.config, store: ctx.store, secrets: ctx.secrets, metrics: ctx.metrics });
      t.teardown(() => bare.close());
      t.match(await call(bare, keys.acme, 'GET', box), { status: 503, body: { error: { code: 'esl_unavailable' } } });
    });
  });
}
