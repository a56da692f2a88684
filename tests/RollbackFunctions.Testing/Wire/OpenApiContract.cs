using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RollbackFunctions.Testing;

/// <summary>
/// Checks a reply against the API's OpenAPI document: the status must be one the operation
/// declares, and a JSON body must match the declared schema — types, required properties, enums,
/// and no property the document does not name. Covers the part of JSON Schema the ASP.NET Core
/// generator writes ($ref, type lists, oneOf/anyOf/allOf, properties, items, additionalProperties).
/// </summary>
public sealed class OpenApiContract
{
    private readonly JsonObject document;
    private readonly List<(Regex Path, string Template)> paths;

    public OpenApiContract(JsonObject document)
    {
        this.document = document;
        paths = document["paths"]!.AsObject()
            .Select(p => (new Regex("^" + Regex.Replace(Regex.Escape(p.Key), @"\\\{[^}]+}", "[^/]+") + "$"), p.Key))
            .ToList();
    }

    /// <summary>The document kept in the repository (<c>docs/openapi.json</c>).</summary>
    public static OpenApiContract FromRepository() =>
        new(JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "docs", "openapi.json")))!.AsObject());

    /// <summary>Null when the reply agrees with the document (or the route is not in it); else how it does not.</summary>
    public string? Check(string method, string path, int status, string? mediaType, string body)
    {
        var template = paths.FirstOrDefault(p => p.Path.IsMatch(path)).Template;
        if (template is null || document["paths"]![template]![method.ToLowerInvariant()] is not JsonObject operation)
        {
            return null; // not an API route (routing answered 404/405 itself)
        }

        var where = $"{method} {template} {status}";
        if (operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not JsonObject response)
        {
            return $"{where}: the document declares no such status for this operation";
        }

        if (response["content"] is not JsonObject content || string.IsNullOrEmpty(body))
        {
            return null;
        }

        if (mediaType is null || content[mediaType] is not JsonObject declared)
        {
            return $"{where}: replied '{mediaType}', the document declares {string.Join(", ", content.Select(c => c.Key))}";
        }

        if (!mediaType.Contains("json", StringComparison.Ordinal) || declared["schema"] is not JsonObject schema)
        {
            return null;
        }

        var errors = new List<string>();
        Validate(JsonNode.Parse(body), schema, "$", errors);
        return errors.Count == 0 ? null : $"{where}: the body disagrees with the document: {string.Join("; ", errors.Take(5))}\n{body}";
    }

    private void Validate(JsonNode? value, JsonObject schema, string at, List<string> errors)
    {
        if (schema["$ref"] is JsonValue reference)
        {
            Validate(value, Resolve(reference.GetValue<string>()), at, errors);
            return;
        }

        if (schema["allOf"] is JsonArray all)
        {
            foreach (var part in all)
            {
                Validate(value, part!.AsObject(), at, errors);
            }
        }

        foreach (var choice in new[] { "oneOf", "anyOf" })
        {
            if (schema[choice] is JsonArray branches && !branches.Any(b => Valid(value, b!.AsObject(), at)))
            {
                errors.Add($"{at}: matches none of {choice}");
                return;
            }
        }

        if (schema["type"] is { } type && !Types(type).Contains(KindOf(value)) && !(KindOf(value) == "integer" && Types(type).Contains("number")))
        {
            errors.Add($"{at}: {KindOf(value)}, the document says {type.ToJsonString()}");
            return;
        }

        if (schema["enum"] is JsonArray values && value is not null && !values.Any(v => JsonNode.DeepEquals(v, value)))
        {
            errors.Add($"{at}: {value.ToJsonString()} is not one of {values.ToJsonString()}");
        }

        if (value is JsonObject obj)
        {
            ValidateObject(obj, schema, at, errors);
        }
        else if (value is JsonArray array && schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Validate(array[i], items, $"{at}[{i}]", errors);
            }
        }
    }

    private void ValidateObject(JsonObject obj, JsonObject schema, string at, List<string> errors)
    {
        var properties = schema["properties"] as JsonObject;
        foreach (var required in schema["required"]?.AsArray().Select(r => r!.GetValue<string>()) ?? [])
        {
            if (!obj.ContainsKey(required))
            {
                errors.Add($"{at}: required property '{required}' is missing");
            }
        }

        foreach (var (name, child) in obj)
        {
            if (properties?[name] is JsonObject declared)
            {
                Validate(child, declared, $"{at}.{name}", errors);
            }
            else if (schema["additionalProperties"] is JsonObject extra)
            {
                Validate(child, extra, $"{at}.{name}", errors);
            }
            else if (properties is not null || schema["additionalProperties"] is JsonValue)
            {
                // The generator never writes additionalProperties: false; a property the document
                // does not name is the disagreement this check exists to catch.
                errors.Add($"{at}: property '{name}' is not in the document");
            }
        }
    }

    private bool Valid(JsonNode? value, JsonObject schema, string at)
    {
        var errors = new List<string>();
        Validate(value, schema, at, errors);
        return errors.Count == 0;
    }

    private JsonObject Resolve(string reference) =>
        reference.StartsWith("#/components/schemas/", StringComparison.Ordinal)
            ? document["components"]!["schemas"]![reference["#/components/schemas/".Length..]]!.AsObject()
            : throw new NotSupportedException(reference);

    private static string[] Types(JsonNode type) =>
        type is JsonArray list ? list.Select(t => t!.GetValue<string>()).ToArray() : [type.GetValue<string>()];

    private static string KindOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => value.ToJsonString().IndexOfAny(['.', 'e', 'E']) < 0 ? "integer" : "number",
            _ => "null",
        },
    };
}

/// <summary>
/// An HTTP client handler that checks every reply against the OpenAPI document, so each test that
/// calls the API also checks that the document tells the truth about what it got.
/// </summary>
public sealed class OpenApiContractCheck(OpenApiContract contract) : DelegatingHandler(new HttpClientHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var disagreement = contract.Check(request.Method.Method, request.RequestUri!.AbsolutePath, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
        return disagreement is null ? response : throw new OpenApiDisagreementException(disagreement);
    }
}

public sealed class OpenApiDisagreementException(string message) : Exception($"reply and docs/openapi.json disagree: {message}");
