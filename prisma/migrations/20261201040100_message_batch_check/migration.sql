-- Group commit (#11): a batch of postmessages can run as ONE autocommit statement
-- (lib/domain/message-batch.ts), and the own check of the statement that every quota charge held must then
-- abort it before the commit. og_batch_check raises SQLSTATE OGB01 when its argument is not true.
-- (The body is an escape string with octal 073 for each semicolon: the migration runner splits at semicolons.)
CREATE FUNCTION og_batch_check(ok boolean) RETURNS text LANGUAGE plpgsql AS E'
BEGIN
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION ''a quota charge of the batch did not hold'' USING ERRCODE = ''OGB01''\073
  END IF\073
  RETURN NULL\073
END
';
