/**
 * What the phone does with a call's RTCPeerConnection directly: count its audio RTP packets
 * (getStats inbound-rtp / outbound-rtp) and swap the microphone in a call in progress
 * (RTCRtpSender.replaceTrack, no renegotiation).
 */

/** RTP packets of the call so far, as the browser counted them. */
export interface MediaCounts {
  packetsReceived: number;
  packetsSent: number;
}

export async function countPackets(pc: RTCPeerConnection): Promise<MediaCounts> {
  const counts: MediaCounts = { packetsReceived: 0, packetsSent: 0 };
  (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number; packetsSent?: number }) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') counts.packetsReceived += r.packetsReceived ?? 0;
    if (r.type === 'outbound-rtp' && r.kind === 'audio') counts.packetsSent += r.packetsSent ?? 0;
  });
  return counts;
}

/**
 * Sends the microphone of `constraints` instead of the current one; a muted call stays muted.
 * @throws the getUserMedia error (NotAllowedError, NotFoundError…)
 */
export async function replaceMicrophone(pc: RTCPeerConnection, constraints: MediaStreamConstraints, muted: boolean): Promise<void> {
  const sender = pc.getSenders().find((x) => x.track?.kind === 'audio');
  if (!sender) return;
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  const track = stream.getAudioTracks()[0];
  if (!track) return;
  track.enabled = !muted;
  const old = sender.track;
  await sender.replaceTrack(track);
  old?.stop();
}
