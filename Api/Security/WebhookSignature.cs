using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AbandonedCart.Api.Security;

/// <summary>
/// <c>X-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;." + raw body)&gt;</c>. The timestamp is
/// signed with the body, so a captured request cannot be replayed once it is more than <see cref="Tolerance"/> off.
/// Several <c>v1</c> values may be given (one per secret while a storefront rotates its secret).
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Signature";

    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    /// <summary>Reads the header; false when it is missing or malformed.</summary>
    public static bool TryParse(string? header, out long timestamp, out IReadOnlyList<byte[]> signatures)
    {
        timestamp = 0;
        var found = new List<byte[]>();
        signatures = found;
        if (string.IsNullOrEmpty(header) || header.Length > 1024)
        {
            return false;
        }

        var hasTimestamp = false;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("t=", StringComparison.Ordinal))
            {
                hasTimestamp = long.TryParse(part.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out timestamp);
            }
            else if (part.StartsWith("v1=", StringComparison.Ordinal) && part.Length == 3 + 64)
            {
                try
                {
                    found.Add(Convert.FromHexString(part.AsSpan(3)));
                }
                catch (FormatException)
                {
                    return false;
                }
            }
        }

        return hasTimestamp && found.Count > 0;
    }

    public static bool IsFresh(long timestamp, DateTimeOffset now) =>
        Math.Abs(now.ToUnixTimeSeconds() - timestamp) <= Tolerance.TotalSeconds;

    /// <summary>True when one of the signatures is the body's, compared in constant time.</summary>
    public static bool Verify(long timestamp, IReadOnlyList<byte[]> signatures, ReadOnlySpan<byte> body, string? secret)
    {
        ArgumentNullException.ThrowIfNull(signatures);
        if (string.IsNullOrEmpty(secret))
        {
            return false;
        }

        var expected = Compute(secret, timestamp, body);
        var match = false;
        foreach (var signature in signatures)
        {
            match |= CryptographicOperations.FixedTimeEquals(expected, signature);
        }

        return match;
    }

    /// <summary>The header value a storefront sends for this body (used by tests, the benchmark and integrators).</summary>
    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        string.Create(CultureInfo.InvariantCulture, $"t={timestamp},v1={Convert.ToHexStringLower(Compute(secret, timestamp, body))}");

    private static byte[] Compute(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
        hmac.AppendData(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{timestamp}.")));
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
