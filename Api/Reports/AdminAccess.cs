using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace AbandonedCart.Api.Reports;

/// <summary>
/// The admin key (<c>Admin:ApiKey</c>) guards the report API as a bearer token and the dashboard as the HTTP Basic
/// password of user <c>admin</c>. With no key configured nothing is let in, so a forgotten setting never opens data.
/// </summary>
public static class AdminAccess
{
    public const string ConfigKey = "Admin:ApiKey";
    public const string BasicUser = "admin";

    public static bool IsBearer(StringValues authorization, string? adminKey)
    {
        var header = authorization.ToString();
        const string prefix = "Bearer ";
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && Matches(header[prefix.Length..].Trim(), adminKey);
    }

    public static bool IsBasic(StringValues authorization, string? adminKey)
    {
        var header = authorization.ToString();
        const string prefix = "Basic ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[prefix.Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && decoded[..colon] == BasicUser && Matches(decoded[(colon + 1)..], adminKey);
    }

    // Constant-time comparison so response timing does not reveal how much of a guessed key was right.
    private static bool Matches(string given, string? adminKey) =>
        !string.IsNullOrEmpty(adminKey)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(adminKey));
}
