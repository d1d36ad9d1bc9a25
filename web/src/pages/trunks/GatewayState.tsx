/**
 * A trunk's gateway state as a badge: the live state from `/api/v1/live` (`gateways` events)
 * when FreeSWITCH reported one, else the state stored with the trunk. mod_sofia's names
 * (sofia_reg.c `sofia_state_names`): REGED registered; NOREG a trunk that does not register;
 * TRYING, REGISTER, UNREGISTER on the way; FAILED, FAIL_WAIT, EXPIRED, TIMEOUT failed;
 * DOWN the gateway is gone; `unknown` until FreeSWITCH reports.
 */
import { Badge, Text, Tooltip } from '@mantine/core';

/** What a user reads for a mod_sofia gateway state, and its colour. */
export function describeState(state: string): { label: string; color: string } {
  switch (state.toUpperCase()) {
    case 'REGED': return { label: 'Registered', color: 'green' };
    case 'NOREG': return { label: 'Up (no registration)', color: 'teal' };
    case 'TRYING':
    case 'REGISTER': return { label: 'Registering', color: 'yellow' };
    case 'UNREGISTER':
    case 'UNREGED': return { label: 'Unregistered', color: 'gray' };
    case 'FAILED':
    case 'FAIL_WAIT': return { label: 'Registration failed', color: 'red' };
    case 'EXPIRED': return { label: 'Registration expired', color: 'red' };
    case 'TIMEOUT': return { label: 'No answer', color: 'red' };
    case 'DOWN': return { label: 'Down', color: 'red' };
    default: return { label: 'Not reported yet', color: 'gray' };
  }
}

export interface GatewayStateProps {
  /** mod_sofia's state name, or `unknown`. */
  state: string;
  /** The OPTIONS ping status (UP/DOWN) when pinging. */
  pingStatus: string | null;
  lastError: string | null;
  /** Whether the state is being pushed live right now. */
  live: boolean;
}

export function GatewayState({ state, pingStatus, lastError, live }: GatewayStateProps) {
  const { label, color } = describeState(state);
  const detail = [state !== 'unknown' && `FreeSWITCH: ${state}`, pingStatus && `ping ${pingStatus}`, lastError && `last error: ${lastError}`, !live && 'not live']
    .filter(Boolean).join(' · ');
  return (
    <Tooltip label={detail || 'no report from FreeSWITCH yet'} withArrow multiline maw={280} events={{ hover: true, focus: true, touch: true }}>
      <Badge color={color} variant="light" tabIndex={0} aria-label={`Registration: ${label}${detail ? ` (${detail})` : ''}`}>
        {label}
        {pingStatus && <Text span size="xs" ml={4}>· ping {pingStatus.toLowerCase()}</Text>}
      </Badge>
    </Tooltip>
  );
}
