/** The ID-block signing flags shared by `golden`, `igvm sign` and `igvm build`. */
import type { Command } from 'commander';

export interface SigningFlags {
  idKey?: string;
  authorKey?: string;
  familyId?: string;
  imageId?: string;
  guestSvn?: string;
  passphraseFile?: string;
  passphraseEnv?: string;
}

/** Add --id-key (described by `idKey`, required when `required`), --author-key, the ID-block fields and the passphrase sources. */
export function addSigningOptions(cmd: Command, o: { idKey: string; required?: boolean }): Command {
  if (o.required) cmd.requiredOption('--id-key <file>', o.idKey);
  else cmd.option('--id-key <file>', o.idKey);
  return cmd
    .option('--author-key <file>', 'author private key, P-384 (optional: without it author-key-enabled is off)')
    .option('--family-id <hex>', 'ID block FAMILY_ID, 16 bytes hex (default zero)')
    .option('--image-id <hex>', 'ID block IMAGE_ID, 16 bytes hex (default zero)')
    .option('--guest-svn <n>', 'ID block GUEST_SVN, u32 (default 0)')
    .option('--passphrase-file <file>', 'passphrase of encrypted keys: first line of FILE')
    .option('--passphrase-env <var>', 'passphrase of encrypted keys: environment variable VAR');
}
