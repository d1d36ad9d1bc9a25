/**
 * /phone: the browser phone of the logged-in person's extension. The SIP credentials come from
 * `GET /api/v1/extensions/{id}/credentials` with the session and live only in this page's memory;
 * the phone registers over the WebSocket they name and shows, in turn, the dialer, a ringing
 * incoming call or the call in progress, with device choice and Do not disturb.
 */
import { Alert, Button, Stack, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { api, asApiError, unwrap } from '../../api/client';
import { useSession } from '../../auth/session';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { CallPanel } from './CallPanel';
import { DeviceSettings } from './DeviceSettings';
import { Dialer } from './Dialer';
import { IncomingCall } from './IncomingCall';
import { INSECURE_PAGE } from './messages';
import { PhoneStatus } from './PhoneStatus';
import type { PhoneCredentials } from './softphone';
import { useMediaCounts, useSoftphone } from './useSoftphone';

/** A warning before any call: the page cannot have the microphone, or the browser blocks it. */
function useMicrophoneWarning(): string | null {
  const [warning, setWarning] = useState<string | null>(null);
  useEffect(() => {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      setWarning(INSECURE_PAGE);
      return;
    }
    void navigator.permissions?.query({ name: 'microphone' as PermissionName }).then((p) => {
      const show = () => setWarning(p.state === 'denied' ? 'Microphone access is blocked for this site. Allow it in the browser to make and take calls.' : null);
      show();
      p.onchange = show;
    }, () => undefined);
  }, []);
  return warning;
}

export function PhonePage() {
  const { user } = useSession();
  const extensionId = user?.extensionId ?? null;
  const loaded = useLoad(async () => {
    if (!extensionId) return null;
    const path = { params: { path: { id: extensionId } } };
    const [creds, ext] = await Promise.all([
      api.GET('/api/v1/extensions/{id}/credentials', path).then(unwrap),
      api.GET('/api/v1/extensions/{id}', path).then(unwrap),
    ]);
    return { creds: creds.data, doNotDisturb: ext.data.doNotDisturb };
  }, [extensionId]);
  const creds = useMemo<PhoneCredentials | undefined>(() => {
    const c = loaded.data?.creds;
    return c ? { username: c.username, password: c.password, domain: c.domain, wsUrl: c.wsUrl, ...(user?.name ? { displayName: user.name } : {}) } : undefined;
  }, [loaded.data, user?.name]);
  const { phone, state } = useSoftphone(creds);
  const call = state.call;
  const counts = useMediaCounts(phone, call?.state === 'active');
  const micWarning = useMicrophoneWarning();
  const [dnd, setDnd] = useState<boolean>();
  const [dndError, setDndError] = useState<string | null>(null);
  const [savingDnd, setSavingDnd] = useState(false);
  useEffect(() => setDnd(loaded.data?.doNotDisturb), [loaded.data]);

  if (!extensionId) {
    return <PageState title="Phone" empty emptyText="No extension is linked to your login, so there is no phone to register. An admin links one under Users." />;
  }
  const changeDnd = async (on: boolean) => {
    setSavingDnd(true);
    setDndError(null);
    try {
      setDnd(unwrap(await api.PATCH('/api/v1/extensions/{id}', { params: { path: { id: extensionId } }, body: { doNotDisturb: on } })).data.doNotDisturb);
    } catch (error) {
      setDndError(`Do not disturb could not be changed: ${asApiError(error).message}`);
    } finally {
      setSavingDnd(false);
    }
  };

  return (
    <PageState title="Phone" loading={loaded.loading} error={loaded.error} onRetry={loaded.reload}>
      <Stack gap="md" maw={420}>
        <PhoneStatus registration={state.registration} extension={loaded.data?.creds.extension ?? ''} doNotDisturb={dnd} savingDnd={savingDnd} onDnd={changeDnd} />
        {dnd && <Text size="sm" c="dimmed">Do not disturb is on: callers get busy. You can still call out.</Text>}
        {state.problem && (
          <Alert color={state.registration === 'reconnecting' ? 'orange' : 'red'} role="alert" title="Phone">
            <Stack gap="xs" align="flex-start">
              <Text size="sm">{state.problem}</Text>
              {state.registration === 'refused' && <Button size="xs" variant="light" color="red" onClick={() => void phone?.start()}>Try again</Button>}
            </Stack>
          </Alert>
        )}
        {micWarning && <Alert color="yellow" role="alert">{micWarning}</Alert>}
        {dndError && <Alert color="red" role="alert">{dndError}</Alert>}
        {call?.state === 'ringing' ? (
          <IncomingCall call={call} onAnswer={() => void phone?.answer()} onDecline={() => void phone?.decline()} />
        ) : call ? (
          <CallPanel
            call={call}
            counts={counts}
            controls={{
              onHangup: () => void phone?.hangup(),
              onMute: () => phone?.toggleMute(),
              onHold: () => void phone?.toggleHold(),
              onDtmf: (tone) => void phone?.sendDtmf(tone),
              onTransfer: (target) => void phone?.transfer(target),
            }}
          />
        ) : (
          <Dialer canCall={state.registration === 'registered'} onCall={(target) => void phone?.call(target)} />
        )}
        <DeviceSettings phone={phone} refreshKey={call?.state} />
        <Title order={2} size="h6" c="dimmed" fw={400}>
          Server {loaded.data?.creds.wsUrl || 'none'} · {loaded.data?.creds.sipUri}
        </Title>
      </Stack>
    </PageState>
  );
}
