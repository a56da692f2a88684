namespace RollbackFunctions.Testing;

/// <summary>
/// A test that needs a real part (Azurite, node) skips with a visible reason on a developer
/// machine that lacks it, and fails under <c>CI=true</c>, where a missing part is a broken setup.
/// </summary>
public static class RealParts
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static void Require(bool available, string missing)
    {
        if (available)
        {
            return;
        }

        if (InCi)
        {
            throw new InvalidOperationException($"CI=true and a real part is missing: {missing}");
        }

        Skip.If(true, $"real part missing: {missing}");
    }
}
