// The stack the browser tests play: a real packager (with the player page) on loopback ports and a real ffmpeg test
// signal publishing one 640x360@30 stream into it.
import { TestSignalPublisher } from '@livelab/media-generator';
import { Packager } from '@livelab/media-packaging';
import { playerRouter } from '@livelab/media-player';
import { silentLogger } from '@livelab/service-kit';

/** A real packager with the player page on loopback ports (0: the OS picks), fault routes on when asked. */
async function startPackager(publishKey: string, opts: { faults?: boolean }) {
  const packager = new Packager({ publishKey, logger: silentLogger(), pageRouter: playerRouter(), faults: { enabled: opts.faults ?? false } });
  const ports = await packager.start({ rtmpPort: 0, httpPort: 0, host: '127.0.0.1' });
  return { packager, ports };
}

export async function startLiveStack(
  stream: string,
  publishKey: string,
  opts: { faults?: boolean } = {},
): Promise<{ packager: Packager; publisher: TestSignalPublisher; httpPort: number; rtmpPort: number }> {
  const { packager, ports } = await startPackager(publishKey, opts);
  const publisher = new TestSignalPublisher({
    streams: [{ name: stream, pattern: 'smptehdbars', width: 640, height: 360, fps: 30, videoBitrateKbps: 800, audioBitrateKbps: 128 }],
    rtmpBaseUrl: `rtmp://127.0.0.1:${ports.rtmpPort}/live`,
    publishKey,
    logger: silentLogger(),
  });
  await publisher.start();
  return { packager, publisher, httpPort: ports.httpPort, rtmpPort: ports.rtmpPort };
}

/**
 * The whole ABR path: a real packager and the generator's own ladder job (one ffmpeg, three rungs + audio, each rung
 * with its label and rung strip) publishing `<stream>~0…2` and `<stream>~audio` into it — the same rungs, sizes and
 * bitrates as the page's ffmpeg-made fixture (@livelab/media-player/testing), so the throttle's rates fit both.
 */
export async function startLadderStack(
  stream: string,
  publishKey: string,
  opts: { faults?: boolean } = {},
): Promise<{ packager: Packager; publisher: TestSignalPublisher; httpPort: number; base: string }> {
  const { packager, ports } = await startPackager(publishKey, opts);
  const publisher = new TestSignalPublisher({
    streams: [
      {
        name: stream,
        pattern: 'testsrc2',
        width: 640,
        height: 360,
        fps: 30,
        videoBitrateKbps: 1500,
        audioBitrateKbps: 64,
        ladder: [
          { width: 640, height: 360, videoBitrateKbps: 1500 },
          { width: 480, height: 270, videoBitrateKbps: 600 },
          { width: 320, height: 180, videoBitrateKbps: 200 },
        ],
      },
    ],
    rtmpBaseUrl: `rtmp://127.0.0.1:${ports.rtmpPort}/live`,
    publishKey,
    logger: silentLogger(),
  });
  await publisher.start();
  return { packager, publisher, httpPort: ports.httpPort, base: `http://127.0.0.1:${ports.httpPort}` };
}
