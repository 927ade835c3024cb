// Text assets embedded in the binary with `import x from "./file.xsd" with { type: "text" }`.
declare module "*.xsd" {
  const text: string;
  export default text;
}
