import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A real PACS for tests: Debian's Orthanc with its DICOMweb plugin, started on loopback
 * on free ports with a throwaway configuration and storage folder, stopped by `stop()`.
 * It knows one user (basic auth on DICOMweb) and one calling AE title (DIMSE).
 */
const ORTHANC = process.env.SSMTL_ORTHANC ?? '/usr/sbin/Orthanc';
const PLUGIN_FOLDERS = ['/usr/share/orthanc/plugins', '/usr/lib/orthanc', '/usr/lib/x86_64-linux-gnu/orthanc'];

export const ORTHANC_USER = 'radiology';
export const ORTHANC_PASSWORD = 'not-a-real-secret-7Qx';
export const ORTHANC_AET = 'ORTHANC';
export const OUR_AET = 'SSMTL';

/** The DICOMweb plugin's .so, or null. */
function dicomwebPlugin(): string | null {
  for (const folder of PLUGIN_FOLDERS) {
    if (!existsSync(folder)) continue;
    const name = readdirSync(folder).find((n) => /^libOrthancDicomWeb\.so/.test(n));
    if (name) return join(folder, name);
  }
  return null;
}

/** Why Orthanc tests cannot run here, or null when they can. */
export function orthancMissing(): string | null {
  if (!existsSync(ORTHANC)) return `${ORTHANC} is missing (apt-get install orthanc orthanc-dicomweb)`;
  if (!dicomwebPlugin())
    return `the Orthanc DICOMweb plugin is missing under ${PLUGIN_FOLDERS.join(', ')} (apt-get install orthanc-dicomweb)`;
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningOrthanc {
  httpPort: number;
  dicomPort: number;
  /** the DICOMweb base URL */
  dicomweb: string;
  /** the DIMSE address, dicom://ORTHANC@127.0.0.1:port */
  dimse: string;
  /** stores Part 10 files through Orthanc's own REST API (not through the code under test) */
  upload(files: string[]): Promise<void>;
  /** Orthanc's own REST API, for checks independent of the code under test */
  rest(path: string): Promise<unknown>;
  /** the Part 10 file Orthanc holds for a SOP Instance UID, through its REST API */
  fileOf(sopInstanceUid: string): Promise<Uint8Array>;
  stop(): Promise<void>;
}

export async function startOrthanc(dir: string): Promise<RunningOrthanc> {
  const plugin = dicomwebPlugin() as string;
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  const config = join(dir, 'orthanc.json');
  writeFileSync(
    config,
    JSON.stringify({
      Name: 'ssmtl-test',
      StorageDirectory: storage,
      IndexDirectory: storage,
      StorageCompression: false,
      HttpPort: httpPort,
      DicomPort: dicomPort,
      DicomAet: ORTHANC_AET,
      DicomCheckCalledAet: true,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: true,
      RegisteredUsers: { [ORTHANC_USER]: ORTHANC_PASSWORD },
      Plugins: [plugin],
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
      // Our AE title is known; C-GET sends on the same association, so its port is never used.
      DicomModalities: { ssmtl: [OUR_AET, '127.0.0.1', 1] },
      HttpCompressionEnabled: false,
      SaveJobs: false,
    }),
  );
  const log = join(dir, 'orthanc.log');
  const child: ChildProcess = spawn(ORTHANC, [config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const logLines: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => logLines.push(chunk.toString()));
  const auth = `Basic ${Buffer.from(`${ORTHANC_USER}:${ORTHANC_PASSWORD}`).toString('base64')}`;
  const base = `http://127.0.0.1:${httpPort}`;
  const rest = async (path: string) => {
    const response = await fetch(`${base}${path}`, { headers: { Authorization: auth } });
    if (!response.ok) throw new Error(`Orthanc ${path}: HTTP ${response.status}`);
    return response.json();
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Orthanc exited (${child.exitCode}): ${logLines.join('').slice(-2000)}`);
    try {
      await rest('/system');
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`Orthanc did not start in 20 s: ${logLines.join('').slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    httpPort,
    dicomPort,
    dicomweb: `${base}/dicom-web`,
    dimse: `dicom://${ORTHANC_AET}@127.0.0.1:${dicomPort}`,
    rest,
    async fileOf(sopInstanceUid) {
      const instances = (await rest('/instances?expand')) as { ID: string; MainDicomTags: { SOPInstanceUID: string } }[];
      const found = instances.find((i) => i.MainDicomTags.SOPInstanceUID === sopInstanceUid);
      if (!found) throw new Error(`Orthanc holds no instance ${sopInstanceUid}`);
      const response = await fetch(`${base}/instances/${found.ID}/file`, { headers: { Authorization: auth } });
      return new Uint8Array(await response.arrayBuffer());
    },
    async upload(files) {
      for (const file of files) {
        const response = await fetch(`${base}/instances`, { method: 'POST', headers: { Authorization: auth }, body: readFileSync(file) });
        if (!response.ok) throw new Error(`Orthanc refused ${file}: HTTP ${response.status}`);
      }
    },
    async stop() {
      writeFileSync(log, logLines.join(''));
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
