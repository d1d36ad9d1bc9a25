/**
 * Starts the static arm's FreeSWITCH for `npm run bench:calls`: the shared loopback config
 * (../shared/freeswitch/conf) with mod_xml_curl left out and the bench's routing on disk
 * (./calls-static-conf.ts), its own SIP, event socket and RTP ports on 127.0.0.1. Stopped by PID
 * (`fsctl shutdown now`, then SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { running, track } from '../../test/helpers/child-processes.js';
import { FREESWITCH_BIN, fsCli, setRtpPorts, stopFreeswitch } from '../../test/helpers/freeswitch.js';
import { ACL_XML, dialplanXml, directoryXml, sofiaXml, type OutboundRoute, type ServedConfig, type StaticPorts } from './calls-static-conf.js';

const SHARED_CONF = fileURLToPath(new URL('../../../shared/freeswitch/conf', import.meta.url));

export interface StaticSwitch {
  pid: number;
  dir: string;
  cli(command: string): Promise<string>;
  stop(): Promise<void>;
}

type SwitchPorts = StaticPorts & { esl: number; rtp: { start: number; end: number } };

function writeConf(conf: string, served: ServedConfig, route: OutboundRoute, destination: string, ports: SwitchPorts): void {
  cpSync(SHARED_CONF, conf, { recursive: true });
  setRtpPorts(conf, ports.rtp);
  rmSync(path.join(conf, 'sip_profiles'), { recursive: true, force: true });
  const configs = path.join(conf, 'autoload_configs');
  rmSync(path.join(configs, 'xml_curl.conf.xml'));
  const modules = path.join(configs, 'modules.conf.xml');
  writeFileSync(modules, readFileSync(modules, 'utf8').replace(/\s*<load module="mod_xml_curl"\/>/, ''));
  const esl = path.join(configs, 'event_socket.conf.xml');
  writeFileSync(esl, readFileSync(esl, 'utf8').replace('value="8021"', `value="${ports.esl}"`));
  writeFileSync(path.join(configs, 'sofia.conf.xml'), sofiaXml(served, ports));
  writeFileSync(path.join(configs, 'acl.conf.xml'), ACL_XML);
  writeFileSync(path.join(conf, 'directory', 'default.xml'), directoryXml(served));
  writeFileSync(path.join(conf, 'dialplan', 'default.xml'), dialplanXml(served, route, destination));
}

/** Starts the static FreeSWITCH; resolves once it is up with both profiles running. `ports.rtp`: its RTP ports (inclusive). */
export async function startStaticSwitch(served: ServedConfig, route: OutboundRoute, destination: string, ports: SwitchPorts): Promise<StaticSwitch> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-static-fs-'));
  const conf = path.join(dir, 'conf');
  writeConf(conf, served, route, destination, ports);
  const folders = Object.fromEntries(['log', 'db', 'run', 'tmp', 'certs', 'recordings', 'storage'].map((f) => [f, path.join(dir, f)]));
  for (const f of Object.values(folders)) mkdirSync(f, { recursive: true });
  // At normal scheduling priority, as the Switchplane arm's switch (FreeswitchOptions.normalPriority).
  const child = track(spawn(FREESWITCH_BIN, [
    '-np', '-nf', '-nc', '-nonat', '-nonatmap', '-conf', conf, '-log', folders.log!, '-db', folders.db!, '-run', folders.run!, '-temp', folders.tmp!,
    '-certs', folders.certs!, '-recordings', folders.recordings!, '-storage', folders.storage!,
  ], { stdio: 'ignore' }));
  const cli = (command: string) => fsCli(ports.esl, command);
  const logFile = path.join(folders.log!, 'freeswitch.log');
  const sw: StaticSwitch = {
    pid: child.pid!,
    dir,
    cli,
    async stop() {
      await stopFreeswitch(child, ports.esl);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const deadline = Date.now() + 30_000; ; await sleep(300)) {
    if (!running(child)) throw new Error(`the static FreeSWITCH exited at start; log:\n${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : ''}`);
    const status = await cli('sofia status').catch(() => '');
    if (/internal\s+profile.*RUNNING/.test(status) && /external\s+profile.*RUNNING/.test(status)) return sw;
    if (Date.now() > deadline) {
      await sw.stop();
      throw new Error(`the static FreeSWITCH did not start both profiles in 30 s: ${status}`);
    }
  }
}
