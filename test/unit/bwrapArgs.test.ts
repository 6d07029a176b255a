import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBwrapArgs, buildLaunchArgv, ENTER_SCRIPT } from '../../src/runner/backends/local/bwrapArgs.js';

const layout = {
  roBinds: [
    { src: '/opt/dotnet/dotnet', dest: '/usr/share/dotnet/dotnet' },
    { src: '/srv/host', dest: '/sandbox/host' },
  ],
  symlinks: [{ target: 'usr/lib', path: '/lib' }],
};

describe('the bubblewrap command line', () => {
  it('is exactly this array: every namespace, no env but ours, read-only binds, one capped tmpfs', () => {
    const args = buildBwrapArgs({
      layout,
      tmpfsBytes: 64 * 1024 * 1024,
      env: { PATH: '/usr/share/dotnet', HOME: '/tmp' },
      seccompFd: 5,
      jsonStatusFd: 6,
      argv: ['/usr/share/dotnet/dotnet', '/sandbox/host/sharpbox-host.dll', 'exec'],
    });
    assert.deepEqual(args, [
      '--unshare-all',
      '--unshare-user',
      '--disable-userns',
      '--uid', '65534',
      '--gid', '65534',
      '--hostname', 'sharpbox',
      '--die-with-parent',
      '--new-session',
      '--as-pid-1',
      '--clearenv',
      '--setenv', 'HOME', '/tmp',
      '--setenv', 'PATH', '/usr/share/dotnet',
      '--ro-bind', '/opt/dotnet/dotnet', '/usr/share/dotnet/dotnet',
      '--ro-bind', '/srv/host', '/sandbox/host',
      '--symlink', 'usr/lib', '/lib',
      '--proc', '/proc',
      '--dev', '/dev',
      '--remount-ro', '/dev',
      '--size', '67108864', '--tmpfs', '/tmp',
      '--chdir', '/tmp',
      '--seccomp', '5',
      '--json-status-fd', '6',
      '--remount-ro', '/',
      '--',
      '/sandbox/init', '--',
      '/usr/share/dotnet/dotnet', '/sandbox/host/sharpbox-host.dll', 'exec',
    ]);
  });

  it('never shares the network, never binds anything writable and never passes the host environment', () => {
    const args = buildBwrapArgs({ layout, tmpfsBytes: 1, env: {}, argv: ['x'] });
    for (const flag of ['--share-net', '--bind', '--dev-bind', '--bind-try', '--setenv DISCORD_TOKEN']) {
      assert.ok(!args.join(' ').includes(flag), flag);
    }
    assert.equal(args.filter((a) => a === '--tmpfs').length, 1);
  });
});

describe('the launcher chain', () => {
  const tools = { sh: '/bin/sh', prlimit: '/usr/bin/prlimit', setpriv: '/usr/bin/setpriv', bwrap: '/usr/bin/bwrap' };
  const rlimits = { nproc: 66, nofile: 1024, fsizeBytes: 1000, cpuSeconds: 6, dataBytes: 2000, core: 0 };

  it('joins the cgroups first, then sets rlimits, then drops to the slot uid, then starts bwrap', () => {
    const argv = buildLaunchArgv({ cgroupProcsFiles: ['/cg/mem/procs', '/cg/pids/procs'], rlimits, uid: 64001, gid: 64001, bwrapArgs: ['--a'], tools });
    assert.deepEqual(argv, [
      '/bin/sh', '-c', ENTER_SCRIPT, 'sharpbox-enter', '/cg/mem/procs', '/cg/pids/procs', '--',
      '/usr/bin/prlimit', '--nproc=66', '--nofile=1024', '--fsize=1000', '--cpu=6:7', '--data=2000', '--core=0', '--',
      '/usr/bin/setpriv', '--reuid=64001', '--regid=64001', '--clear-groups', '--no-new-privs', '--',
      '/usr/bin/bwrap', '--a',
    ]);
  });

  it('starts with prlimit when there are no cgroups', () => {
    const argv = buildLaunchArgv({ cgroupProcsFiles: [], rlimits, uid: 64001, gid: 64001, bwrapArgs: [], tools });
    assert.equal(argv[0], '/usr/bin/prlimit');
  });

  it('gives the long-lived compile server no lifetime CPU cap (its compiles have deadlines instead)', () => {
    const argv = buildLaunchArgv({ cgroupProcsFiles: [], rlimits: { ...rlimits, cpuSeconds: null }, uid: 64001, gid: 64001, bwrapArgs: [], tools });
    assert.ok(argv.includes('--cpu=unlimited'));
  });
});
