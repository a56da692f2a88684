using NJsonSchema.CodeGeneration.CSharp;
using NSwag.CodeGeneration.CSharp;
using NSwag.CodeGeneration.OperationNameGenerators;

namespace RollbackFunctions.Integration.Tests.Client;

/// <summary>
/// The C# client NSwag generates from <c>docs/openapi.json</c>, as a client team would generate
/// it: one class, methods named by operationId, System.Text.Json models. Committed as
/// <c>RollbackApiClient.g.cs</c> beside this file so the tests compile against it; a test
/// generates it again and compares, so it never lags the document.
/// </summary>
internal static class ApiClientCode
{
    public static string CommittedFile { get; } = Path.Combine(Repo.Root, "tests", "RollbackFunctions.Integration.Tests", "Client", "RollbackApiClient.g.cs");

    public static async Task<string> GenerateAsync()
    {
        var document = await NSwag.OpenApiDocument.FromFileAsync(Path.Combine(Repo.Root, "docs", "openapi.json"));
        var settings = new CSharpClientGeneratorSettings
        {
            ClassName = "RollbackApiClient",
            GenerateClientInterfaces = false,
            // The caller's HttpClient carries the base address and the key (any of the three forms).
            UseBaseUrl = false,
            OperationNameGenerator = new SingleClientFromOperationIdOperationNameGenerator(),
            CSharpGeneratorSettings =
            {
                Namespace = typeof(ApiClientCode).Namespace!,
                JsonLibrary = CSharpJsonLibrary.SystemTextJson,
                GenerateNullableReferenceTypes = true,
            },
        };

        // One line ending whatever the templates use, so the comparison is about content.
        return new CSharpClientGenerator(document, settings).GenerateFile().ReplaceLineEndings("\n");
    }
}
