/**
 * The microphones and speakers the browser offers (navigator.mediaDevices.enumerateDevices),
 * listed again when a device comes or goes and when `refreshKey` changes (labels are only given
 * once the page has had the microphone, i.e. after the first call). Browsers without output
 * selection (no HTMLMediaElement.setSinkId) list no speakers.
 */
import { useEffect, useState } from 'react';

export interface AudioDevice {
  deviceId: string;
  label: string;
}

export interface AudioDevices {
  microphones: AudioDevice[];
  speakers: AudioDevice[];
}

const canChooseOutput = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

export function useAudioDevices(refreshKey: unknown): AudioDevices {
  const [devices, setDevices] = useState<AudioDevices>({ microphones: [], speakers: [] });
  useEffect(() => {
    const media = navigator.mediaDevices;
    if (!media?.enumerateDevices) return undefined;
    let live = true;
    const list = () =>
      void media.enumerateDevices().then((all) => {
        if (!live) return;
        const of = (kind: MediaDeviceKind, noun: string) =>
          all.filter((d) => d.kind === kind).map((d, i) => ({ deviceId: d.deviceId, label: d.label || `${noun} ${i + 1}` }));
        setDevices({ microphones: of('audioinput', 'Microphone'), speakers: canChooseOutput ? of('audiooutput', 'Speaker') : [] });
      }, () => undefined);
    list();
    media.addEventListener('devicechange', list);
    return () => {
      live = false;
      media.removeEventListener('devicechange', list);
    };
  }, [refreshKey]);
  return devices;
}
