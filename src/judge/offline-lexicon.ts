/**
 * The offline judge's vocabulary: action verbs and their classes, the synonyms
 * a user says for them, argument names whose values decide where an effect
 * lands, and coarse topic groups for relevance. General English and general
 * tool-naming conventions only: nothing here names a particular product,
 * address or dataset.
 */

/** What a tool call does. Everything but `read` has a side effect. */
export type ActionClass = 'read' | 'create' | 'update' | 'delete' | 'send' | 'transfer' | 'share' | 'execute' | 'control';

export const SIDE_EFFECTS: ReadonlySet<ActionClass> = new Set<ActionClass>(['create', 'update', 'delete', 'send', 'transfer', 'share', 'execute', 'control']);

/** Words for each class as they appear in the task or in an instruction ("pay" is a transfer). */
export const ACTION_NOUNS: Readonly<Record<ActionClass, string>> = {
  read: 'read data',
  create: 'create or add things',
  update: 'change existing things',
  delete: 'delete things',
  send: 'send messages',
  transfer: 'move money',
  share: 'share or grant access',
  execute: 'run commands or install software',
  control: 'operate devices',
};

function table(spec: Record<string, string>): Map<string, ActionClass> {
  const m = new Map<string, ActionClass>();
  for (const [cls, words] of Object.entries(spec)) for (const w of words.split(/\s+/)) if (w) m.set(w, cls as ActionClass);
  return m;
}

/** The verb (or telling noun) in a tool's name → its action class. */
export const TOOL_VERBS: ReadonlyMap<string, ActionClass> = table({
  read:
    'get read list search find fetch view show retrieve query lookup look check browse navigate visit open download access describe count ' +
    'inspect watch monitor see load scan explore preview summarize summarise stat status verify validate compare calculate compute estimate ' +
    'translate analyze analyse recommend suggest track locate identify detect resolve convert export print peek poll lookup info',
  create:
    'create add new make insert append write upload save store put schedule book reserve register draft compose generate copy duplicate clone ' +
    'import record log attach submit plan setup build provision fork snapshot backup upsert',
  update:
    'update edit modify change set rename reschedule adjust patch replace move redirect reroute manage configure enable disable toggle turn ' +
    'switch mark tag label assign reset restore merge archive pin star approve accept reject decline confirm close reopen lock unlock ' +
    'activate deactivate mute unmute upgrade downgrade sync bump scale resize rotate promote demote revert rollback rebase resolve acknowledge ' +
    'snooze dismiss flag unflag suspend resume pause unpause renew tick overwrite rewrite edit apply transition escalate',
  delete: 'delete remove erase destroy drop purge clear wipe trash discard cancel revoke unsubscribe uninstall empty prune truncate unshare unpublish terminate deprovision',
  send: 'send email mail message post reply respond forward publish tweet retweet notify comment dm text sms call broadcast announce contact ping chat say tell rsvp',
  transfer: 'transfer pay payment withdraw deposit refund buy sell purchase order trade tip donate charge wire remit swap stake lend borrow invest checkout bid money',
  share: 'share grant invite authorize authorise permit allow delegate expose collaborator',
  execute: 'execute run exec eval install deploy launch start stop restart kill shell command terminal script spawn invoke trigger reboot shutdown',
  control: 'go goto drive fly steer dispatch guide',
});

/** Classes a task word permits. A task that says "pay" permits a transfer; "reply" permits sending. */
export const TASK_VERBS: ReadonlyMap<string, readonly ActionClass[]> = (() => {
  const m = new Map<string, ActionClass[]>();
  const put = (words: string, classes: ActionClass[]): void => {
    for (const w of words.split(/\s+/)) if (w) m.set(w, [...(m.get(w) ?? []), ...classes]);
  };
  put(
    'create add make set schedule book reserve register draft compose write append insert upload save store record log put generate prepare ' +
      'plan organize organise arrange note attach submit fill enter include copy clone fork provision file',
    ['create', 'update'],
  );
  put(
    'update edit modify change adjust rename reschedule move fix correct replace amend revise configure enable disable turn switch mark label ' +
      'assign reset redirect merge approve accept decline confirm lock unlock archive rearrange postpone shift extend increase decrease raise lower ' +
      'bump tick overwrite rewrite apply scale resize rotate promote demote revert restore roll rollback rebase resolve close reopen ' +
      'acknowledge snooze dismiss flag pin unpin star tag release upgrade downgrade migrate sync suspend resume pause unpause activate ' +
      'deactivate reactivate renew transition escalate limit cap reduce restrict tighten point repoint require enforce protect mandate',
    ['update', 'create'],
  );
  put('delete remove erase clear clean purge drop trash discard cancel wipe uninstall unsubscribe revoke empty terminate destroy prune', ['delete', 'update']);
  put('send email e-mail mail message reply respond answer forward text dm notify tell inform post tweet publish announce contact ping remind write cc rsvp comment', [
    'send',
    'create',
  ]);
  put('pay refund transfer wire deposit withdraw reimburse tip donate buy purchase order sell trade repay settle charge invest split', [
    'transfer',
    'create',
    'update',
  ]);
  put('share grant invite allow authorize authorise permit give add', ['share', 'send', 'create', 'update']);
  put('run execute install deploy redeploy launch start stop restart reboot rerun trigger build compile kill', ['execute']);
  put('go drive guide bring', ['control']);
  return m;
})();

/** Task words that, with a money topic, also permit a transfer ("send them the difference"). */
export const MONEY_SEND_VERBS: ReadonlySet<string> = new Set(['send', 'give', 'return', 'cover', 'top']);

/** Where an argument's value decides where the effect lands. */
export type ArgCategory = 'recipient' | 'destination' | 'account' | 'amount' | 'command' | 'path' | 'repository' | 'grantee' | 'credential';

const ARG_CATEGORY: ReadonlyMap<string, ArgCategory> = table2({
  recipient:
    'recipient recipients to cc bcc email emails mail address addresses participant participants attendee attendees invitee invitees receiver ' +
    'receivers phone number contact contacts channel channels chat thread',
  destination: 'url uri link endpoint domain host hostname server webhook callback destination dest redirect website site origin',
  account: 'account iban payee beneficiary wallet routing card bank swift bic',
  amount: 'amount price quantity qty sum total fee cost units shares value',
  command: 'command cmd script code shell exec argv',
  path: 'path file filename files directory dir folder location',
  repository: 'repository repo repos owner project org organization organisation',
  grantee: 'user users username member members collaborator collaborators assignee reviewer role level permission permissions access scope grantee guest',
  credential: 'password passwd passphrase secret token key otp pin',
});

function table2(spec: Record<string, string>): Map<string, ArgCategory> {
  const m = new Map<string, ArgCategory>();
  for (const [cat, words] of Object.entries(spec)) for (const w of words.split(/\s+/)) if (w) m.set(w, cat as ArgCategory);
  return m;
}

/**
 * The category of an argument path (`recipients.0` → recipient,
 * `new_receipient_information.address` → recipient). The last named segment
 * decides, then earlier ones.
 */
export function argCategory(path: string): ArgCategory | undefined {
  const segs = path.split('.').filter((s) => !/^\d+$/.test(s));
  for (let i = segs.length - 1; i >= 0; i--) {
    const words = splitWords(segs[i] ?? '');
    for (let j = words.length - 1; j >= 0; j--) {
      const w = words[j] ?? '';
      const c = ARG_CATEGORY.get(w) ?? ARG_CATEGORY.get(stem(w));
      if (c !== undefined) return c;
      if (/recip|receip/.test(w)) return 'recipient';
    }
  }
  return undefined;
}

/** Topic groups: a read is relevant to a task when they share a topic or a content word. */
const TOPICS: Readonly<Record<string, string>> = {
  money:
    'money pay paid payment spend spending spent transaction transfer bank banking account balance iban refund bill rent salary price cost fee ' +
    'amount budget invoice purchase subscription crypto bitcoin btc eth deposit withdraw wallet trade stock finance financial tax vat expense ' +
    'charge card loan mortgage saving checking payee dollar euro usd eur gbp cash fund',
  mail: 'email e-mail mail inbox sender recipient unread reply thread subject attachment cc bcc',
  calendar: 'calendar event meeting appointment schedule agenda lunch dinner breakfast free busy availability available invite participant',
  files: 'file document doc docx folder directory drive cloud pdf spreadsheet xlsx csv txt attachment storage filename',
  chat: 'slack channel chat workspace dm direct conversation',
  web: 'website webpage page site url link blog web browser article online internet http www',
  travel: 'hotel flight restaurant car rental trip travel booking airport cuisine accommodation stay reservation',
  social: 'twitter tweet facebook profile follower instagram linkedin social post',
  code: 'github gitlab repository repo commit branch issue pull code project',
  health: 'health medical doctor prescription medication patient genetic diagnosis clinic hospital symptom',
  security: 'password passcode 2fa two-factor authentication security login credential token',
  shipping: 'shipment shipping package parcel delivery ship tracking courier',
  devices: 'robot room home light thermostat door camera device',
  notes: 'note todo task reminder list',
  contacts: 'contact phone address addresses',
};

export const TOPIC_OF: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [topic, words] of Object.entries(TOPICS)) for (const w of words.split(/\s+/)) if (w) m.set(stem(w), topic);
  return m;
})();

/** Words that say nothing about what a tool touches (verbs are handled apart). */
export const GENERIC_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or of to in on at by for from with into onto via as is are be this that it its my your our their me all any some each every ' +
    'get set info information detail details data manager item items list new current recent most latest last first next tool tools api service ' +
    'client request response id ids name names type value result results content contents user users by per using use can could would will ' +
    'please you i we want need like also then just there here what which who when where how why do does did done make sure about give tell ' +
    'show find check look help know let one two three up out over under more less than other others same such only own so if not no yes'
  ).split(' '),
);

/** A light English stemmer: enough to match "transactions"/"transaction", "addresses"/"address", "saved"/"saving". */
export function stem(w: string): string {
  let s = w;
  if (s.length > 4 && s.endsWith('ies')) s = `${s.slice(0, -3)}y`;
  else if (s.length > 4 && /(?:ss|x|ch|sh)es$/.test(s)) s = s.slice(0, -2);
  else if (s.length > 3 && s.endsWith('s') && !s.endsWith('ss') && !s.endsWith('us') && !s.endsWith('is')) s = s.slice(0, -1);
  if (s.length > 5 && s.endsWith('ing')) s = s.slice(0, -3);
  else if (s.length > 4 && s.endsWith('ed')) s = s.slice(0, -2);
  return s;
}

/**
 * Splits an identifier or a phrase into lower-case words: camelCase,
 * PascalCase with acronyms (`FHIRDownload`), snake_case, kebab-case, dotted
 * and slashed namespaces.
 */
export function splitWords(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}
