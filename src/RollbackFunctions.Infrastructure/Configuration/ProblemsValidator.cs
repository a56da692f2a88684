using Microsoft.Extensions.Options;

namespace RollbackFunctions.Infrastructure.Configuration;

/// <summary>Refuses to start with unusable options, naming every problem the options find in themselves.</summary>
public sealed class ProblemsValidator<T>(Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options) =>
        problems(options).ToList() is { Count: > 0 } found ? ValidateOptionsResult.Fail(found) : ValidateOptionsResult.Success;
}
