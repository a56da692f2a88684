using Microsoft.AspNetCore.Http;

namespace RollbackFunctions.Api.Http;

/// <summary>RFC 9457 problem replies, the only shape an error takes.</summary>
public static class Problems
{
    public static IResult BadRequest(string detail, IDictionary<string, string[]>? errors = null) =>
        errors is { Count: > 0 }
            ? Results.ValidationProblem(errors, detail, title: "The request is not valid", statusCode: StatusCodes.Status400BadRequest)
            : Problem(StatusCodes.Status400BadRequest, "The request is not valid", detail);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult Conflict(string detail) => Problem(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult TooLarge(long limit) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "Body too large", $"request bodies are limited to {limit} bytes");

    public static IResult UnsupportedMediaType(string? contentType) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", $"send application/json, not '{contentType ?? "nothing"}'");

    public static IResult Unavailable(string detail) => Problem(StatusCodes.Status503ServiceUnavailable, "Unavailable", detail);

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title);
}
