// A user id ("host:port::username") that a narrow screen breaks after the "::" — between realm
// and username — instead of into arbitrary fragments.
export function UserId({ id, className }: { id: string; className?: string }) {
  const i = id.lastIndexOf("::");
  if (i < 0) return <span className={className}>{id}</span>;
  return (
    <span className={`break-words ${className ?? ""}`} data-user-id={id}>
      {id.slice(0, i + 2)}
      <wbr />
      {id.slice(i + 2)}
    </span>
  );
}
