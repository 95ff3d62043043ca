/**
 * What a command does. A generic executor (`run_command`, `run_query`,
 * `execute_sql`, a shell) is only as dangerous as what it runs: `grep -rn …`
 * and `SELECT …` read, `rm -rf` and `DROP TABLE` delete, `curl -d @file`
 * sends. The offline judge classifies the command text so that action
 * relevance compares the task with the real action, not with "execute".
 *
 * A parse that is unsure says `execute`: classification can only move a
 * command to a class as dangerous as what it finds in it, and an unknown
 * program stays `execute`.
 */
import type { ActionClass } from './offline-lexicon.js';

const MAX_COMMAND = 8_192;

/** How dangerous each class is when several are found in one command: the worst decides. */
const RANK: Readonly<Record<ActionClass, number>> = { read: 0, control: 1, create: 2, update: 3, send: 4, execute: 5, transfer: 6, share: 7, delete: 8 };

function worst(a: ActionClass, b: ActionClass): ActionClass {
  return RANK[b] > RANK[a] ? b : a;
}

const SQL_START = /^\s*(?:\(\s*)?(select|with|insert|update|delete|drop|alter|create|truncate|grant|revoke|merge|replace|upsert|explain|show|describe|desc|copy|vacuum|analy[sz]e|set|begin|commit|rollback|call|exec|execute|pragma)\b/i;

/** Classes of SQL statements; a statement's first keyword decides, with write keywords anywhere in a `WITH` or `SELECT` caught too. */
function sqlClass(sql: string): ActionClass {
  let cls: ActionClass = 'read';
  // String literals can hold any word; they say nothing about what the statement does.
  const bare = sql.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""');
  for (const stmt of bare.split(';')) {
    const s = stmt.trim().toLowerCase();
    if (s.length === 0) continue;
    const first = /^\(?\s*([a-z]+)/.exec(s)?.[1] ?? '';
    let c: ActionClass;
    switch (first) {
      case 'select':
      case 'with':
      case 'explain':
      case 'show':
      case 'describe':
      case 'desc':
      case 'pragma':
        c = 'read';
        break;
      case 'insert':
      case 'create':
        c = 'create';
        break;
      case 'update':
      case 'alter':
      case 'merge':
      case 'replace':
      case 'upsert':
      case 'set':
      case 'vacuum':
      case 'analyze':
      case 'analyse':
        c = 'update';
        break;
      case 'delete':
      case 'drop':
      case 'truncate':
        c = 'delete';
        break;
      case 'grant':
      case 'revoke':
        c = 'share';
        break;
      case 'copy':
        c = /\bto\b/.test(s) ? 'send' : 'create';
        break;
      case 'begin':
      case 'commit':
      case 'rollback':
        c = 'read';
        break;
      default:
        c = 'execute';
    }
    // A read that writes after all (`WITH … DELETE`, `SELECT … INTO OUTFILE`).
    if (c === 'read') {
      if (/\b(?:delete\s+from|drop\s+(?:table|database|schema)|truncate)\b/.test(s)) c = 'delete';
      else if (/\b(?:update\s+\w+\s+set|insert\s+into)\b/.test(s)) c = 'update';
      else if (/\binto\s+(?:outfile|dumpfile)\b/.test(s)) c = 'send';
      else if (/\binto\s+\w/.test(s) && first === 'select') c = 'create';
    }
    cls = worst(cls, c);
  }
  return cls;
}

const READ_PROGRAMS = new Set(
  (
    'ls ll cat head tail less more grep egrep fgrep zgrep rg ag ack wc du df ps pgrep top free uptime whoami id groups hostname uname pwd echo printf ' +
    'date cal stat file which whereis type env printenv sort uniq cut tr jq yq diff cmp comm md5sum sha1sum sha256sum shasum cksum tree nl column ' +
    'dig nslookup host ping traceroute tracepath netstat ss lsof journalctl dmesg basename dirname realpath readlink test true false lsblk blkid ' +
    'nproc lscpu vmstat iostat getent w who last zcat bzcat xzcat strings hexdump xxd od base64 fold fmt expand column paste join look'
  ).split(' '),
);
const DELETE_PROGRAMS = new Set('rm rmdir shred unlink wipefs mkfs dd srm'.split(' '));
const UPDATE_PROGRAMS = new Set('mv cp mkdir touch chmod chown chgrp ln tee install tar unzip gzip gunzip zip patch truncate rsync'.split(' '));
const ADMIN_PROGRAMS = new Set('useradd usermod userdel adduser passwd chpasswd visudo crontab setfacl iptables ufw'.split(' '));
const INTERPRETERS = new Set('sh bash zsh dash ksh fish python python3 node perl ruby php eval source exec xargs nohup'.split(' '));

/** The class of one tool invocation of a multi-tool CLI (`kubectl get` reads, `git push` sends). */
function subcommandClass(prog: string, args: readonly string[]): ActionClass | undefined {
  const sub = args.find((a) => !a.startsWith('-')) ?? '';
  switch (prog) {
    case 'kubectl':
    case 'oc':
      if (/^(?:get|describe|logs|top|explain|version|api-resources|api-versions|cluster-info|auth)$/.test(sub)) return 'read';
      if (sub === 'config') return args.includes('view') || args.includes('get-contexts') || args.includes('current-context') ? 'read' : 'update';
      if (/^(?:delete|drain)$/.test(sub)) return 'delete';
      if (sub === 'exec' || sub === 'run' || sub === 'cp' || sub === 'port-forward') return 'execute';
      return 'update';
    case 'git':
      if (/^(?:status|log|diff|show|blame|grep|ls-files|ls-tree|shortlog|describe|rev-parse|remote|fetch|branch|tag|reflog)$/.test(sub)) {
        return args.some((a) => /^-(?:d|D|-delete)$/.test(a)) ? 'delete' : 'read';
      }
      if (sub === 'push') return args.some((a) => /^(?:-f|--force|--force-with-lease|--delete|--mirror)$/.test(a)) ? 'delete' : 'send';
      if (sub === 'clean' || (sub === 'reset' && args.includes('--hard'))) return 'delete';
      return 'update';
    case 'docker':
    case 'podman':
      if (/^(?:ps|images|logs|inspect|stats|top|version|info|history|port|diff)$/.test(sub)) return 'read';
      if (/^(?:rm|rmi|prune|kill)$/.test(sub) || args.includes('prune')) return 'delete';
      if (sub === 'push') return 'send';
      return 'execute';
    case 'systemctl':
    case 'service':
      return /^(?:status|is-active|is-enabled|list-units|list-unit-files|show|cat)$/.test(sub) || args.includes('status') ? 'read' : 'execute';
    case 'helm':
      if (/^(?:list|ls|status|get|show|history|search|template|lint|version)$/.test(sub)) return 'read';
      return /^(?:uninstall|delete|del)$/.test(sub) ? 'delete' : 'update';
    case 'aws':
    case 'gcloud':
    case 'az':
    case 'gsutil': {
      const words = args.filter((a) => !a.startsWith('-')).join(' ');
      if (/\b(?:rm|rb|delete|remove|terminate|destroy|deregister|purge)\b|\bdelete-/.test(words)) return 'delete';
      if (/\b(?:ls|list|describe|get|show|wait)\b|\b(?:describe|get|list)-/.test(words)) return 'read';
      return 'update';
    }
    case 'curl':
    case 'wget':
    case 'http':
    case 'httpie':
      return args.some((a) => /^(?:-d|--data\S*|-F|--form|-T|--upload-file|--post-data|--post-file|-X|--request)$/.test(a) || /^-[a-zA-Z]*[dFT]$/.test(a)) ? 'send' : 'read';
    case 'scp':
    case 'sftp':
    case 'nc':
    case 'ncat':
    case 'netcat':
    case 'ssh':
    case 'ftp':
    case 'sendmail':
    case 'mail':
      return 'send';
    case 'find':
      return args.some((a) => /^-(?:delete|exec|execdir|ok|okdir|fprint\w*|fls)$/.test(a)) ? 'delete' : 'read';
    case 'sed':
    case 'perl':
      return args.some((a) => /^-[a-zA-Z]*i/.test(a)) ? 'update' : prog === 'sed' ? 'read' : 'execute';
    case 'awk':
    case 'gawk':
      return args.some((a) => /system\s*\(|print[^|]*>/.test(a)) ? 'execute' : 'read';
    default:
      return undefined;
  }
}

/** Splits a shell line into words, keeping quoted strings whole (quotes removed). Bounded. */
function shellWords(seg: string): string[] {
  const out: string[] = [];
  for (const m of seg.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) {
    if (out.length >= 256) break;
    out.push(m[1] ?? m[2] ?? m[3] ?? '');
  }
  return out;
}

/** Pipeline stages and statements of a shell line, split outside quotes. Bounded. */
function segmentsOf(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (let i = 0; i < cmd.length && out.length < 64; i++) {
    const c = cmd.charAt(i);
    if (quote !== '') {
      if (c === '\\' && quote === '"') {
        cur += c + cmd.charAt(i + 1);
        i++;
        continue;
      }
      if (c === quote) quote = '';
      cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === ';' || c === '\n' || c === '|' || c === '&') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The class of a shell command line: the worst of its pipeline stages and statements. */
function shellClass(cmd: string): ActionClass {
  let cls: ActionClass = 'read';
  // Command substitution runs another command whose text we would have to trust: unsure, so execute.
  if (/\$\(|`/.test(cmd)) cls = 'execute';
  // Writing to a file (not a descriptor, not /dev/null) changes it.
  if (/(?:^|[^0-9&<>])>>?\s*(?!&|\/dev\/null)\S/.test(cmd.replace(/'[^']*'|"(?:[^"\\]|\\.)*"/g, ''))) cls = worst(cls, 'update');
  for (const raw of segmentsOf(cmd.replace(/\d?>&\d|&>/g, ' > '))) {
    const words = shellWords(raw.trim());
    let i = 0;
    // Leading environment assignments and wrappers do not name the program.
    while (i < words.length && (/^\w+=/.test(words[i] ?? '') || /^(?:sudo|time|nice|ionice|timeout|command|builtin|stdbuf|env)$/.test(words[i] ?? ''))) {
      if (words[i] === 'sudo') cls = worst(cls, 'update');
      if (words[i] === 'timeout') i++;
      if (words[i] === 'env' && i + 1 >= words.length) break;
      i++;
    }
    const prog = (words[i] ?? '').replace(/^.*\//, '');
    if (prog.length === 0) continue;
    const args = words.slice(i + 1);
    const sub = subcommandClass(prog, args);
    let c: ActionClass;
    if (sub !== undefined) c = sub;
    else if (READ_PROGRAMS.has(prog)) c = 'read';
    else if (DELETE_PROGRAMS.has(prog)) c = 'delete';
    else if (UPDATE_PROGRAMS.has(prog)) c = 'update';
    else if (ADMIN_PROGRAMS.has(prog)) c = 'share';
    else if (INTERPRETERS.has(prog)) c = 'execute';
    else c = 'execute';
    cls = worst(cls, c);
  }
  return cls;
}

/** What a command text does: SQL when it reads as SQL, otherwise a shell line. */
export function commandClass(text: string): ActionClass {
  const t = text.length > MAX_COMMAND ? text.slice(0, MAX_COMMAND) : text;
  // Too long to have been read fully: unsure.
  if (text.length > MAX_COMMAND) return 'execute';
  return SQL_START.test(t) ? sqlClass(t) : shellClass(t);
}

/** Argument names that hold the command an executor runs. */
export const COMMAND_ARG = /^(?:command|cmd|commands|sql|query|statement|stmt|script|shell|code|bash|line|cmdline|command_?line)$/i;
/** Tool-name words of generic executors. */
export const EXECUTOR_WORD = /^(?:run|exec|execute|shell|bash|sh|terminal|console|command|cmd|sql|query|psql|mysql|sqlite|ssh|script|kubectl|cli)$/;
