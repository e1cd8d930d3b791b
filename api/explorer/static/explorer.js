// The explorer page (api/explorer/page.py): GraphiQL with the token of the chosen demo
// account, sent with every request, the schema's introspection included.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("explorer-config").textContent);
  var picker = document.getElementById("explorer-account");
  picker.addEventListener("change", function () {
    picker.form.submit();
  });

  var headers = config.token ? { Authorization: "Bearer " + config.token } : {};
  var fetcher = GraphiQL.createFetcher({ url: config.endpoint, headers: headers });
  var explorer = GraphiQLPluginExplorer.explorerPlugin();

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultQuery: config.defaultQuery,
      headers: config.token ? JSON.stringify(headers, null, 2) : undefined,
      shouldPersistHeaders: false,
      isHeadersEditorEnabled: true,
      inputValueDeprecation: true,
    }),
  );
})();
