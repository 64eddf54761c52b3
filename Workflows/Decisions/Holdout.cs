using System.Security.Cryptography;
using System.Text;

namespace AbandonedCart.Workflows.Decisions;

/// <summary>Deterministic holdout assignment: the same customer is always in or out of a journey's holdout.</summary>
public static class Holdout
{
    /// <summary>True when the customer falls in the first <paramref name="percent"/> of 10,000 hash buckets.</summary>
    public static bool IsHeldOut(string journey, string customerId, double percent)
    {
        if (percent <= 0)
        {
            return false;
        }

        if (percent >= 100)
        {
            return true;
        }

        return Bucket(journey, customerId) < percent * 100;
    }

    /// <summary>A stable bucket 0..9999 from SHA-256 of journey and customer id.</summary>
    public static int Bucket(string journey, string customerId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{journey}:{customerId}"));
        return (int)(BitConverter.ToUInt32(hash, 0) % 10_000);
    }
}
